// Reads maillog lines back (the per-message trace the UI shows): timestamp, component, queue id, key=value fields, reply.
//
// The inverse of logger.ts's line format:
//   2026-11-25T15:50:24.123Z mailroom/smtp[1234]: 0AB12CD: to=<b@x.test>, relay=mx.x.test[192.0.2.1]:25, delay=0.45,
//   delays=0.01/0/0.2/0.24, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)
// Lines without a queue id, or whose text is not key=value fields ("0AB12CD: connect to …: connection refused"),
// are returned with `text` only. A line that is not a maillog line at all gives null.
import type { LogLevel } from './logger'

export interface MaillogEntry {
  /** ISO 8601 time stamp as written. */
  time: string
  component: string
  pid: number
  level: LogLevel
  /** The queue id when the line is about one message. */
  queueId?: string
  /** key → value of the key=value part; addresses without their <>. Empty for plain text lines. */
  fields: Record<string, string>
  /** The parenthesised reply at the end of an event line ("250 2.0.0 Ok: queued as ABC"). */
  reply?: string
  /** The whole message after "component[pid]: " and the level tag. */
  text: string
}

const HEAD = /^(\S+) mailroom\/([\w.-]+)\[(\d+)\]: (?:(debug|warn|error): )?(.*)$/
const QUEUE_ID = /^([A-Za-z0-9]{6,32}): (.*)$/
const KEY = /^([a-z_][a-z0-9_]*)=/

/** Parses `key=value, key=<addr>, … (reply)`; null when the text does not start with a field. */
function parseFields(text: string): { fields: Record<string, string>; reply?: string } | null {
  if (!KEY.test(text)) return null
  const fields: Record<string, string> = {}
  let rest = text
  for (;;) {
    const key = KEY.exec(rest)
    if (key === null) return null
    rest = rest.slice(key[0].length)
    let value: string
    if (rest.startsWith('<')) {
      // An address: up to the '>' that ends it (a quoted local part may hold ", " and even "=").
      const end = rest.search(/>(?=, [a-z_][a-z0-9_]*=| \(|$)/)
      if (end < 0) return null
      value = rest.slice(1, end)
      rest = rest.slice(end + 1)
    } else {
      const end = rest.search(/, (?=[a-z_][a-z0-9_]*=)| \(/)
      value = end < 0 ? rest : rest.slice(0, end)
      rest = end < 0 ? '' : rest.slice(end)
    }
    fields[key[1] as string] = value
    if (rest === '') return { fields }
    if (rest.startsWith(' (')) {
      if (!rest.endsWith(')')) return null
      return { fields, reply: rest.slice(2, -1) }
    }
    rest = rest.slice(2) // ", "
  }
}

/** One maillog line → its parts, or null when the line is not in the maillog format. */
export function parseMaillogLine(line: string): MaillogEntry | null {
  const head = HEAD.exec(line.replace(/\r?\n$/, ''))
  if (head === null) return null
  const [, time, component, pid, level, text] = head as unknown as [string, string, string, string, LogLevel | undefined, string]
  const entry: MaillogEntry = { time, component, pid: Number(pid), level: level ?? 'info', fields: {}, text }
  const id = QUEUE_ID.exec(text)
  if (id === null) return entry
  entry.queueId = id[1]
  const parsed = parseFields(id[2] as string)
  if (parsed !== null) {
    entry.fields = parsed.fields
    if (parsed.reply !== undefined) entry.reply = parsed.reply
  }
  return entry
}

/** Every line of a maillog text about one message, oldest first (the per-message trace). */
export function messageTrace(maillog: string, queueId: string): MaillogEntry[] {
  const entries: MaillogEntry[] = []
  for (const line of maillog.split('\n')) {
    if (!line.includes(queueId)) continue
    const entry = parseMaillogLine(line)
    if (entry?.queueId === queueId) entries.push(entry)
  }
  return entries
}
