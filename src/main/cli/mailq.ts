// `mailroom mailq` / `sendmail -bp`: the queue in Postfix's shape, or as JSON with --json.
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { pathsFor, resolveHome } from '../config/paths'
import { createLogger } from '../log/logger'
import { systemClock } from '../app/clock'
import { formatMailq } from './mailq-format'

export async function runMailq(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json')
  const unknown = argv.filter((a) => a !== '--json')
  if (unknown.length > 0) throw new AppError('INVALID_ARGUMENT', `unknown option ${unknown[0] as string} (usage: mailroom mailq [--json])`)
  const paths = pathsFor(resolveHome())
  const { Spool } = await import('../queue/spool')
  const { toOutboxMessage } = await import('../queue/service')
  const spool = await Spool.open(paths.spool, { clock: systemClock, log: createLogger({ file: paths.maillog }), recover: false })
  const messages = (await spool.entries()).map((entry) => toOutboxMessage(entry.envelope, entry.state))
  messages.sort((a, b) => a.createdAt - b.createdAt)
  process.stdout.write(json ? JSON.stringify(messages, null, 2) + '\n' : formatMailq(messages))
  return EX.OK
}
