// Parses sendmail's command line the way sendmail/Postfix do (pure; unit-tested flag by flag).
import { AppError } from '../../shared/result'

export type SendmailMode = 'deliver' | 'print-queue' | 'flush' | 'verify' | 'init-aliases'

export interface SendmailArgs {
  mode: SendmailMode
  extractRecipients: boolean
  ignoreDots: boolean
  sender: string | undefined
  fullName: string | undefined
  verbose: boolean
  recipients: string[]
  /** Options we accept for compatibility but do not act on (told on stderr). */
  ignored: string[]
}

/** Options that take a value, either joined (-fbob) or as the next word (-f bob). */
const WITH_VALUE = new Set(['f', 'r', 'F', 'o', 'O', 'B', 'N', 'R', 'V', 'L', 'C', 'h', 'X', 'p'])

export function parseSendmailArgs(argv: readonly string[]): SendmailArgs {
  const out: SendmailArgs = { mode: 'deliver', extractRecipients: false, ignoreDots: false, sender: undefined, fullName: undefined, verbose: false, recipients: [], ignored: [] }
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('-') || arg === '-') break
    const letter = arg[1] as string
    let value: string | undefined
    if (WITH_VALUE.has(letter)) {
      value = arg.length > 2 ? arg.slice(2) : argv[++i]
      if (value === undefined) throw new AppError('INVALID_ARGUMENT', `option -${letter} needs a value`)
    }
    switch (letter) {
      case 't':
        out.extractRecipients = true
        break
      case 'i':
        out.ignoreDots = true
        break
      case 'v':
        out.verbose = true
        break
      case 'f':
      case 'r':
        out.sender = value === '<>' ? '' : (value as string).replace(/^<(.*)>$/, '$1')
        break
      case 'F':
        out.fullName = value
        break
      case 'o':
        // -oi is the one -o option with a meaning here; -oem, -odb and friends are accepted and ignored, as Postfix does.
        if (value === 'i') out.ignoreDots = true
        else out.ignored.push(`-o${value as string}`)
        break
      case 'b': {
        const mode = arg.slice(2)
        if (mode === 'm' || mode === '') out.mode = 'deliver'
        else if (mode === 'p') out.mode = 'print-queue'
        else if (mode === 'v') out.mode = 'verify'
        else if (mode === 'i') out.mode = 'init-aliases'
        else if (mode === 'd' || mode === 'D' || mode === 's' || mode === 'h' || mode === 'H' || mode === 'a' || mode === 't') {
          throw new AppError('INVALID_ARGUMENT', `-b${mode} is not supported by mailroom sendmail (use "mailroom daemon" for a daemon, or the loopback listener for SMTP)`)
        } else throw new AppError('INVALID_ARGUMENT', `unknown mode -b${mode}`)
        break
      }
      case 'I':
        out.mode = 'init-aliases'
        break
      case 'q':
        // -q: flush now. -q15m (daemon interval) and -qR/-qS/-qI selections are sendmail-daemon features we do not have.
        if (arg.length > 2) out.ignored.push(arg)
        out.mode = 'flush'
        break
      case 'B':
      case 'N':
      case 'R':
      case 'V':
      case 'O':
      case 'L':
      case 'C':
      case 'h':
      case 'X':
      case 'p':
        out.ignored.push(`-${letter} ${value as string}`)
        break
      case 'n':
      case 'm':
      case 'e':
      case 'U':
      case 'G':
      case 'A':
      case 'd':
      case 'x':
        out.ignored.push(arg)
        break
      default:
        throw new AppError('INVALID_ARGUMENT', `unknown option ${arg}`)
    }
  }
  out.recipients = argv.slice(i).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '')
  return out
}

export const SENDMAIL_USAGE = `usage: mailroom sendmail [-t] [-i|-oi] [-f sender] [-F name] [-v] [recipient ...] < message
       mailroom sendmail -q          deliver everything queued now, then exit
       mailroom sendmail -bp         list the queue (same as mailroom mailq)`
