// The line format of spool/journal (see journal.ts) and its replay. One JSON object per line, the prefix fixed so
// replay needs no JSON.parse; the outbox view is a compact array (about half the bytes and parse time of an object):
//   {"id":"<id>","seq":<n>,"dir":"queued|deferred|hold","m":[createdAt,origin,sender,subject,size,messageId,notBefore,hold,
//     [[address,original (0: same as address),state,attempts,[text,code,enhanced,host,human]|null,nextAttemptAt],...]]}
//   {"id":"<id>","seq":0,"dir":null}                     the message left the queue
import type { OutboxMessage } from '../../shared/contract'
import { toOutboxMessage, type Envelope, type SpoolDir } from './envelope'

/** Reply texts in the journal are cut to this length (the envelope keeps the whole reply). */
const REPLY_TEXT_MAX = 200
const LINE_PREFIX = /^\{"id":"([0-9A-Z]+)","seq":(\d+),"dir":(?:"(queued|deferred|hold)"|null)/
const ORIGINS = new Set(['ui', 'cli', 'listener', 'local'])
const RECIPIENT_STATES = new Set(['pending', 'sent', 'deferred', 'failed', 'held'])

/** One live message of the index: its newest known seq, directory and line (decoded on demand). */
export interface KnownRecord {
  seq: number
  dir: SpoolDir
  line: string
}

type OutboxReply = NonNullable<OutboxMessage['recipients'][number]['lastReply']>

const cut = (text: string): string => (text.length > REPLY_TEXT_MAX ? text.slice(0, REPLY_TEXT_MAX) : text)

function encodeReply(reply: OutboxReply | null): unknown {
  if (reply === null) return null
  return [cut(reply.text), reply.code ?? null, reply.enhanced ?? null, reply.host ?? null, reply.human === undefined ? null : cut(reply.human)]
}

/** The line for an outbox view (as of envelope `seq`). */
export function messageLine(message: OutboxMessage, seq: number): string {
  const m = [
    message.createdAt, message.origin, message.sender, message.subject, message.size, message.messageId ?? null, message.notBefore ?? null, message.hold ?? null,
    message.recipients.map((r) => [r.address, r.original === r.address ? 0 : (r.original ?? null), r.state, r.attempts, encodeReply(r.lastReply), r.nextAttemptAt])
  ]
  return `{"id":${JSON.stringify(message.id)},"seq":${seq},"dir":"${message.state}","m":${JSON.stringify(m)}}\n`
}

/** The line recording `env` as written into `dir`. */
export function recordLine(env: Envelope, dir: SpoolDir): string {
  return messageLine(toOutboxMessage(env, dir), env.seq)
}

/** The line recording that a message left the queue (completed, deleted, quarantined). */
export function removalLine(id: string): string {
  return `{"id":${JSON.stringify(id)},"seq":0,"dir":null}\n`
}

/** Replays journal text: the last record per id by seq (a later line wins on an equal seq); removals drop the id. */
export function replay(text: string, into: Map<string, KnownRecord> = new Map()): Map<string, KnownRecord> {
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length // a torn last line: its prefix may still parse, its body is checked when decoded
    const line = text.slice(start, end)
    start = end + 1
    const match = LINE_PREFIX.exec(line)
    if (match === null) continue // corrupt or foreign line: skipped
    const id = match[1] as string
    const dir = match[3] as SpoolDir | undefined
    if (dir === undefined) {
      into.delete(id)
      continue
    }
    const seq = Number(match[2])
    const known = into.get(id)
    if (known === undefined || seq >= known.seq) into.set(id, { seq, dir, line })
  }
  return into
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isStr = (v: unknown): v is string => typeof v === 'string'
const orNull = <T>(v: unknown, check: (v: unknown) => v is T): v is T | null => v === null || check(v)

function decodeReply(raw: unknown): OutboxReply | null | undefined {
  if (raw === null) return null
  if (!Array.isArray(raw) || !isStr(raw[0]) || !orNull(raw[1], isNum) || !orNull(raw[2], isStr) || !orNull(raw[3], isStr) || !orNull(raw[4], isStr)) return undefined
  const [text, code, enhanced, host, human] = raw as [string, number | null, string | null, string | null, string | null]
  return { text, ...(code !== null ? { code } : {}), ...(enhanced !== null ? { enhanced } : {}), ...(host !== null ? { host } : {}), ...(human !== null ? { human } : {}) }
}

function decodeRecipient(raw: unknown): OutboxMessage['recipients'][number] | null {
  if (!Array.isArray(raw) || raw.length !== 6) return null
  const [address, original, state, attempts, reply, nextAttemptAt] = raw as unknown[]
  if (!isStr(address) || (original !== 0 && !orNull(original, isStr)) || !isStr(state) || !RECIPIENT_STATES.has(state) || !isNum(attempts) || !orNull(nextAttemptAt, isNum)) return null
  const lastReply = decodeReply(reply)
  if (lastReply === undefined) return null
  return { address, ...(original === 0 ? { original: address } : original !== null ? { original } : {}), state: state as OutboxMessage['recipients'][number]['state'], attempts, lastReply, nextAttemptAt }
}

function isHold(v: unknown): v is OutboxMessage['hold'] {
  return typeof v === 'object' && v !== null && isStr((v as { kind?: unknown }).kind) && isStr((v as { by?: unknown }).by)
}

/** The outbox view in a record line, or null when the line is damaged (the caller reads the envelope instead). */
export function decodeLine(line: string, id: string, dir: SpoolDir): OutboxMessage | null {
  let record: { m?: unknown }
  try {
    record = JSON.parse(line) as { m?: unknown }
  } catch {
    return null
  }
  const m = record.m
  if (!Array.isArray(m) || m.length !== 9) return null
  const [createdAt, origin, sender, subject, size, messageId, notBefore, hold, rawRecipients] = m as unknown[]
  if (!isNum(createdAt) || !isStr(origin) || !ORIGINS.has(origin) || !isStr(sender) || !isStr(subject) || !isNum(size)) return null
  if (!orNull(messageId, isStr) || !orNull(notBefore, isNum) || (hold !== null && !isHold(hold))) return null
  if (!Array.isArray(rawRecipients) || rawRecipients.length === 0) return null
  const recipients: OutboxMessage['recipients'] = []
  for (const raw of rawRecipients) {
    const r = decodeRecipient(raw)
    if (r === null) return null
    recipients.push(r)
  }
  return {
    id, createdAt, origin: origin as OutboxMessage['origin'], sender, subject, size, state: dir, messageId, notBefore,
    hold: hold as OutboxMessage['hold'], recipients
  }
}
