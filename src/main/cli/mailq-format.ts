// Formats the queue the way Postfix's mailq does (long queue ids): one block per message, written as the spool is scanned.
// Marks: "!" after the id for a message on hold (held or frozen, as Postfix), plus Exim's "*** frozen ***" line for frozen ones.
// Each undelivered recipient is listed with its state and last reply in parentheses, right-aligned like Postfix, once per change.
import type { OutboxMessage } from '../../shared/contract'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Column layout: Postfix's long-id format "%-17s %8ld %19.19s %s", with room for our 20-character ids plus a mark. */
const ID_WIDTH = 21
const INDENT = ' '.repeat(ID_WIDTH + 1 + 8 + 1 + 19 + 1)
/** Postfix right-aligns "(reason)" to end in column 78. */
const REASON_WIDTH = 76

export const MAILQ_HEADER = `${'-Queue ID-'.padEnd(ID_WIDTH)} ${'--Size--'} ${'---Arrival Time----'} --Sender/Recipient------\n`
export const MAILQ_EMPTY = 'Mail queue is empty\n'

/** asctime without the year, as Postfix prints it: "Wed Nov 25 15:38:04". */
export function asctime19(ms: number): string {
  const d = new Date(ms)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

function reasonLine(reason: string): string {
  const text = `(${reason.replace(/[\r\n]+/g, ' ')})`
  return ' '.repeat(Math.max(0, REASON_WIDTH + 2 - text.length)) + text + '\n'
}

function recipientReason(r: OutboxMessage['recipients'][number], now: number): string {
  const parts: string[] = []
  if (r.lastReply !== null) parts.push(r.lastReply.human ?? r.lastReply.text)
  if (r.state === 'deferred' || (r.state === 'pending' && r.attempts > 0)) {
    const next = r.nextAttemptAt !== null && r.nextAttemptAt > now ? `, next attempt ${asctime19(r.nextAttemptAt)}` : ''
    return `deferred after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${next}${parts.length > 0 ? ': ' + parts.join('') : ''}`
  }
  if (r.state === 'held') return `held${parts.length > 0 ? ': ' + parts.join('') : ''}`
  return parts.join('')
}

/** Whether mailq lists this message (finished ones are not in the queue any more). */
export function isQueued(message: OutboxMessage): boolean {
  return message.state === 'queued' || message.state === 'deferred' || message.state === 'hold'
}

/** One message's block, without the blank line that separates blocks. `now` decides what "send later" still means. */
export function formatMailqEntry(message: OutboxMessage, now: number): string {
  const onHold = message.state === 'hold' || message.hold != null
  const id = (message.id + (onHold ? '!' : '')).padEnd(ID_WIDTH)
  const sender = message.sender === '' ? 'MAILER-DAEMON' : message.sender
  let out = `${id} ${String(message.size).padStart(8)} ${asctime19(message.createdAt)} ${sender}\n`
  if (message.hold?.kind === 'freeze') out += `${INDENT}*** frozen ***\n`
  if (message.hold != null) {
    const verb = message.hold.kind === 'freeze' ? 'frozen' : 'held'
    const reason = message.hold.reason
    // The service's default reasons ("held by the user") say nothing the first words do not.
    const why = reason !== '' && !reason.startsWith(verb) ? `: ${reason}` : ''
    out += reasonLine(`${verb} by ${message.hold.by} since ${asctime19(message.hold.at)}${why}`)
  }
  if (message.notBefore != null && message.notBefore > now) out += reasonLine(`send later: not before ${asctime19(message.notBefore)}`)
  let previous = ''
  for (const r of message.recipients) {
    if (r.state === 'sent' || r.state === 'failed') continue
    // On a held or frozen message the line above already says why its recipients wait.
    const reason = r.state === 'held' && message.hold != null && r.lastReply === null ? '' : recipientReason(r, now)
    if (reason !== previous) {
      out += reasonLine(reason === '' ? 'waiting for the first attempt' : reason)
      previous = reason
    }
    out += `${INDENT}${r.address}\n`
  }
  return out
}

export function formatTotal(bytes: number, requests: number): string {
  return `\n-- ${Math.floor(bytes / 1024)} Kbytes in ${requests} Request${requests === 1 ? '' : 's'}.\n`
}

/** The whole listing at once (tests, small queues); mailq itself streams with the same pieces. */
export function formatMailq(messages: readonly OutboxMessage[], now = Date.now()): string {
  const queued = messages.filter(isQueued)
  if (queued.length === 0) return MAILQ_EMPTY
  let bytes = 0
  const blocks = queued.map((m) => {
    bytes += m.size
    return formatMailqEntry(m, now)
  })
  return MAILQ_HEADER + blocks.join('\n') + formatTotal(bytes, queued.length)
}
