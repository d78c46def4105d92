// Parses sendmail's command line the way Postfix's sendmail(1) does (getopt with clustering, same ignored options, same conflicts).
// Pure and unit-tested option by option; docs/sendmail.md lists every option and where Mailroom differs from Postfix.
import { AppError } from '../../shared/result'

export type SendmailMode = 'deliver' | 'print-queue' | 'flush' | 'verify' | 'init-aliases' | 'ignore'
export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'

export interface SendmailArgs {
  mode: SendmailMode
  /** Why the command does nothing and exits 0 (mode 'ignore'), for -v. */
  ignoreReason: string | undefined
  extractRecipients: boolean
  ignoreDots: boolean
  sender: string | undefined
  fullName: string | undefined
  /** -v given this many times. */
  verbose: number
  recipients: string[]
  dsn: { notify?: DsnNotify[]; ret?: 'FULL' | 'HDRS'; envid?: string }
  bodyType: '7BIT' | '8BITMIME' | undefined
  /** -qI<id>: deliver this one message now. */
  flushId: string | undefined
  /** Options accepted and ignored silently, as Postfix does (listed on stderr with -v). */
  ignored: string[]
  /** Options ignored with a warning on stderr (Postfix warns for these too, or Mailroom cannot honour them). */
  warnings: string[]
}

/** Postfix's getopt list: "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx". */
const WITH_VALUE = new Set(['A', 'B', 'C', 'F', 'L', 'N', 'O', 'R', 'V', 'X', 'b', 'e', 'f', 'h', 'o', 'p', 'r', 'q'])
const FLAGS = new Set(['G', 'I', 'U', 'c', 'i', 'm', 'n', 't', 'v', 'x'])
/** Accepted and silently ignored by Postfix: -A -L -O -U -c -e -h -m -p -x -G (-C is warned about below). */
const SILENT = new Set(['A', 'L', 'O', 'U', 'c', 'e', 'h', 'm', 'p', 'x', 'G'])

const usage = (message: string): AppError => new AppError('INVALID_ARGUMENT', message)

function parseNotify(value: string): DsnNotify[] | null {
  const words = value.split(/[\s,]+/).filter((w) => w !== '').map((w) => w.toUpperCase())
  if (words.length === 0 || !words.every((w) => w === 'NEVER' || w === 'SUCCESS' || w === 'FAILURE' || w === 'DELAY')) return null
  if (words.includes('NEVER') && words.length > 1) return null
  return [...new Set(words)] as DsnNotify[]
}

function parseModeLetter(out: SendmailArgs, letter: string): void {
  switch (letter) {
    case 'm':
      out.mode = 'deliver'
      return
    case 'p':
      out.mode = 'print-queue'
      return
    case 'v':
      out.mode = 'verify'
      return
    case 'i':
      out.mode = 'init-aliases'
      return
    case 'h':
    case 'H':
      // Host status: Postfix has none and exits 0; so do we.
      out.mode = 'ignore'
      out.ignoreReason = `-b${letter}: there is no host status database`
      return
    case 'd':
    case 'l':
      throw usage(`-b${letter} (daemon mode) is not supported here: run "mailroom daemon"`)
    case 's':
      throw usage('-bs (SMTP on standard input) is not supported: use the loopback listener')
    default:
      throw usage(`unsupported: -b${letter}`)
  }
}

function parseQueueOption(out: SendmailArgs, value: string): void {
  const first = value[0] ?? ''
  if (/[0-9]/.test(first)) {
    // -q15m is a daemon's queue-run interval; outside daemon mode Postfix exits 0 at once, without reading a message.
    out.ignoreReason = `-q${value}: a queue-run interval only means something to a daemon`
  } else if (first === 'I') {
    if (value.length === 1) throw usage('specify: -qIqueueid')
    out.flushId = value.slice(1)
  } else if (first === 'R') {
    if (value.length === 1) throw usage('specify: -qRsitename')
    throw usage('-qR (deliver the mail for one site) is not supported: use -q, or "mailroom queue retry ID"')
  } else {
    throw usage(`-q${first} is not implemented`)
  }
}

function applyOption(out: SendmailArgs, letter: string, value: string | undefined): void {
  const v = value as string
  switch (letter) {
    case 't':
      out.extractRecipients = true
      return
    case 'i':
      out.ignoreDots = true
      return
    case 'v':
      out.verbose += 1
      return
    case 'I':
      out.mode = 'init-aliases'
      return
    case 'n':
      throw usage('-n option not supported')
    case 'f':
    case 'r':
      out.sender = v === '<>' || v === '' ? '' : v.replace(/^<(.*)>$/, '$1')
      return
    case 'F':
      out.fullName = v
      return
    case 'b':
      parseModeLetter(out, v[0] ?? '')
      return
    case 'q':
      parseQueueOption(out, v)
      return
    case 'B':
      if (v !== '7BIT' && v !== '8BITMIME') throw usage('-B option needs 8BITMIME or 7BIT')
      out.bodyType = v
      return
    case 'N': {
      const notify = parseNotify(v)
      if (notify === null) out.warnings.push(`bad -N option value "${v}" -- ignored (use never, or a list of success, failure, delay)`)
      else out.dsn.notify = notify
      return
    }
    case 'R':
      if (/^(hdrs|full)$/i.test(v)) out.dsn.ret = v.toUpperCase() as 'FULL' | 'HDRS'
      else out.warnings.push(`bad -R option value "${v}" -- ignored (use hdrs or full)`)
      return
    case 'V':
      if (v.length > 100) out.warnings.push('too long -V option value -- ignored')
      else if (!/^[\x21-\x7e]+$/.test(v)) out.warnings.push('bad syntax in -V option value -- ignored')
      else out.dsn.envid = v
      return
    case 'X':
      if (v[0] !== 'V') throw usage(`unsupported: -X${v[0] ?? ''}`)
      out.warnings.push(`-X${v}: VERP is not supported -- ignored`)
      return
    case 'o':
      if (v[0] === 'i') out.ignoreDots = true
      else if (v[0] === 'A') {
        if (v.length === 1) throw usage('-oA requires pathname')
        out.warnings.push(`-o${v}: Mailroom's alias file is MAILROOM_HOME/etc/aliases -- ignored`)
      } else out.ignored.push(`-o${v}`)
      return
    case 'C':
      out.warnings.push(`-C ${v}: Mailroom reads its configuration from MAILROOM_HOME/config.json -- ignored`)
      return
    default:
      if (SILENT.has(letter)) out.ignored.push(value === undefined ? `-${letter}` : `-${letter} ${value}`)
      else throw usage(`invalid option -- '${letter}'`)
  }
}

/** Checks the combinations Postfix refuses (after all options are read). */
function checkConflicts(out: SendmailArgs): void {
  if (out.extractRecipients && out.mode !== 'deliver' && out.mode !== 'ignore') {
    throw usage(out.mode === 'verify' ? '-t option cannot be used with -bv' : '-t can be used only in delivery mode')
  }
  if (out.flushId !== undefined && out.mode !== 'deliver') throw usage('-qI can be used only in delivery mode')
  if (out.mode === 'verify' && out.dsn.notify !== undefined) throw usage('-N option cannot be used with -bv')
  const none = (what: string): void => {
    if (out.recipients.length > 0) throw usage(`${what} requires no recipient`)
  }
  if (out.mode === 'print-queue') none('display queue mode')
  if (out.mode === 'flush') none('flush queue mode')
  if (out.mode === 'init-aliases') none('alias initialization mode')
  if (out.flushId !== undefined) none('flush queue_id')
}

/**
 * getopt("+A:B:…") as Postfix uses it: clustered flags (-ti), values joined or in the next word (-fbob, -f bob),
 * options end at the first non-option or "--". "-q" alone is flush (not getopt compatible, as in Postfix).
 * `initialMode` comes from the program name (mailq, newaliases); options may change it, as in Postfix.
 */
export function parseSendmailArgs(argv: readonly string[], initialMode: SendmailMode = 'deliver'): SendmailArgs {
  const out: SendmailArgs = {
    mode: initialMode, ignoreReason: undefined, extractRecipients: false, ignoreDots: false, sender: undefined, fullName: undefined,
    verbose: 0, recipients: [], dsn: {}, bodyType: undefined, flushId: undefined, ignored: [], warnings: []
  }
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('-') || arg === '-') break
    if (arg === '-q') {
      out.mode = 'flush'
      continue
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string
      if (WITH_VALUE.has(letter)) {
        let value: string | undefined = arg.slice(j + 1)
        if (value === '') value = argv[++i]
        if (value === undefined) throw usage(`option requires an argument -- '${letter}'`)
        applyOption(out, letter, value)
        break
      }
      if (!FLAGS.has(letter)) throw usage(`invalid option -- '${letter}'`)
      applyOption(out, letter, undefined)
    }
  }
  out.recipients = argv.slice(i).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '')
  checkConflicts(out)
  if (out.ignoreReason !== undefined && out.mode !== 'ignore' && /^-q/.test(out.ignoreReason)) out.mode = 'ignore'
  return out
}

export const SENDMAIL_USAGE = `usage: mailroom sendmail [-t] [-i|-oi] [-f sender] [-F name] [-N dsn] [-R ret] [-V envid] [-v] [recipient ...] < message
       mailroom sendmail -bp         list the queue (same as mailroom mailq)
       mailroom sendmail -q          deliver everything queued now, then exit
       mailroom sendmail -qI ID      deliver one queued message now
       mailroom sendmail -bv addr …  say how each address would be delivered (nothing is sent)
       mailroom sendmail -bi         rebuild the aliases database (same as mailroom newaliases)`
