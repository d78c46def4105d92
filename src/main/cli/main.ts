// The `mailroom` command: picks the subcommand (or the sendmail/mailq personality from argv[0]) and loads only what it needs.
import { EX } from '../../shared/error-codes'
import { reportError } from './output'

const USAGE = `usage: mailroom <command> [options]

commands:
  serve        run Mailroom in browser mode and print its URL (127.0.0.1 only, with an access token)
  daemon       run the mail system (queue runner, control socket) without a user interface
  sendmail     sendmail-compatible submission: mailroom sendmail [-t] [-i] [-f sender] [recipient ...] < message
  mailq        list the outgoing queue (--json for machines)
  queue        steer queued mail: hold, release, freeze, thaw, retry, delete, undo, edit-recipients, status
  newaliases   rebuild the aliases database (same as sendmail -bi)
  vacation     the out-of-office responder for a .forward line: "|mailroom vacation USER"
  check-route  can this machine deliver directly (port 25, reverse DNS, SPF) or does it need a smart host: [--from ADDR] [--json]
  help         this text

Invoked through a link named "sendmail", "mailq" or "newaliases", it acts as that program.
Data lives in MAILROOM_HOME (default ~/.local/share/mailroom).`

function programFromArgv0(invokedAs: string): string | null {
  if (invokedAs === 'sendmail' || invokedAs === 'mailq' || invokedAs === 'newaliases') return invokedAs
  return null
}

export async function main(argv: readonly string[], invokedAs = 'mailroom'): Promise<number> {
  const personality = programFromArgv0(invokedAs)
  const command = personality ?? argv[0]
  const rest = personality === null ? argv.slice(1) : argv
  const program = personality ?? `mailroom ${command ?? ''}`.trim()
  try {
    switch (command) {
      case 'sendmail':
        return await (await import('./sendmail')).runSendmail(rest, program)
      case 'mailq':
        // `mailq` takes sendmail's options too (Postfix: "newaliases -bp" lists the queue); --json is ours.
        if (rest.includes('--json') || rest.length === 0) return await (await import('./mailq')).runMailq(rest)
        return await (await import('./sendmail')).runSendmail(rest, program, 'print-queue')
      case 'check-route':
        return await (await import('./check-route')).runCheckRoute(rest)
      case 'newaliases':
        return await (await import('./sendmail')).runSendmail(rest, program, 'init-aliases')
      case 'vacation':
        return await (await import('./vacation')).runVacation(rest, program)
      case 'queue':
        return await (await import('./queue-ops')).runQueueCommand(rest, program)
      case 'serve':
        return await (await import('./serve')).runServe(rest)
      case 'daemon':
        return await (await import('./daemon')).runDaemon(rest)
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n')
        return EX.OK
      case '--version':
      case 'version':
        process.stdout.write(`mailroom ${(await import('../app/version')).APP_VERSION}\n`)
        return EX.OK
      case undefined:
        process.stderr.write(USAGE + '\n')
        return EX.USAGE
      default:
        process.stderr.write(`mailroom: unknown command "${command}"\n${USAGE}\n`)
        return EX.USAGE
    }
  } catch (error) {
    return reportError(program, error)
  }
}
