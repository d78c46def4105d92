// `mailroom vacation [-d days] [-a addr]... USER`: the out-of-office program of a .forward line ("|mailroom vacation USER").
// Reads the message on stdin ($SENDER/$RECIPIENT as Postfix local(8) sets them; works without), decides by RFC 3834/5230,
// and queues the reply from <>. Exit 0 also when it chose not to reply (the reason goes to the maillog); 75 on temporary
// trouble (spool full, database locked); 64 bad usage; 65 bad input. Lazy imports keep the start fast.
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { pathsFor, resolveHome } from '../config/paths'
import { createLogger } from '../log/logger'
import { kickDaemon } from './kick'
import { reportError } from './output'
import { readStdin } from './stdin'

export const VACATION_USAGE = 'usage: mailroom vacation [-d days] [-a address]... USER  (the message on standard input)'

export interface VacationArgs {
  user: string
  days?: number
  addresses: string[]
}

/** Parses the arguments; throws a plain Error with the usage problem. */
export function parseVacationArgs(argv: readonly string[]): VacationArgs {
  const addresses: string[] = []
  let days: number | undefined
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = (): string => {
      const attached = arg.length > 2 ? arg.slice(2) : undefined
      const next = attached ?? argv[++i]
      if (next === undefined || next === '') throw new Error(`option ${arg.slice(0, 2)} needs a value`)
      return next
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    } else if (arg.startsWith('-d')) {
      const text = value()
      if (!/^\d{1,3}$/.test(text) || Number(text) < 1) throw new Error(`-d wants a whole number of days, at least 1 (got "${text}")`)
      days = Number(text)
    } else if (arg.startsWith('-a')) {
      addresses.push(value().toLowerCase())
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new Error(`unknown option ${arg}`)
    } else {
      positional.push(arg)
    }
  }
  if (positional.length !== 1) throw new Error(positional.length === 0 ? 'name the user whose out-of-office rule applies' : `one user only (got ${positional.join(', ')})`)
  const user = positional[0] as string
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(user)) throw new Error(`"${user}" is not a local user name`)
  return { user, addresses, ...(days !== undefined ? { days } : {}) }
}

export async function runVacation(argv: readonly string[], program: string): Promise<number> {
  let args: VacationArgs
  try {
    args = parseVacationArgs(argv)
  } catch (error) {
    process.stderr.write(`${program}: ${(error as Error).message}\n${VACATION_USAGE}\n`)
    return EX.USAGE
  }
  const paths = pathsFor(resolveHome())
  const log = createLogger({ file: paths.maillog })
  try {
    const raw = await readStdin()
    const { respondToMessage } = await import('../vacation/respond')
    const outcome = await respondToMessage({
      paths, user: args.user, raw, sender: process.env.SENDER, now: Date.now(),
      ...(args.days !== undefined ? { days: args.days } : {}), extraAddresses: args.addresses, log
    })
    if (outcome.replied) await kickDaemon(paths.controlSocket)
    return EX.OK
  } catch (error) {
    log.error('vacation', `${args.user}: ${(error as Error).message}`)
    // A broken rule file is the user's own problem: say it in the maillog and on stderr, but do not make the
    // delivery agent bounce the sender's message (exit 78 would be a permanent failure of the .forward program).
    if (error instanceof AppError && error.code === 'VACATION_RULE_INVALID') {
      process.stderr.write(`${program}: ${error.message} (no reply sent)\n`)
      return EX.OK
    }
    return reportError(program, error)
  }
}
