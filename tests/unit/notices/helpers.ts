// Test helpers for notices: an envelope builder, a DSN part splitter and a tiny parser of delivery-status blocks.
import type { Envelope } from '../../../src/main/queue/envelope'
import type { NoticeRecipient } from '../../../src/main/notices/types'

export const T0 = Date.UTC(2025, 0, 6, 9, 0, 0)
export const HOUR = 3_600_000

export const ORIGINAL = Buffer.from(
  'From: Alice <alice@local.test>\r\nTo: bob@remote.test\r\nSubject: Quarterly report\r\nMessage-ID: <orig-1@local.test>\r\n' +
  'Date: Mon, 06 Jan 2025 09:00:00 +0000\r\n\r\nHello Bob,\r\nthe report is attached.\r\n',
  'latin1'
)

export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    version: 1,
    id: '01JGZ0000000AB000001',
    createdAt: T0,
    origin: 'ui',
    sender: 'alice@local.test',
    size: ORIGINAL.length,
    messageId: '<orig-1@local.test>',
    subject: 'Quarterly report',
    notBefore: null,
    seq: 3,
    hold: null,
    frozenMs: 0,
    warnedAt: null,
    recipients: [{ address: 'bob@remote.test', original: 'bob@remote.test', state: 'failed', attempts: 1, lastReply: null, nextAttemptAt: null, warned: false }],
    ...overrides
  }
}

export const gone: NoticeRecipient = {
  address: 'gone@remote.test',
  original: 'Gone@Remote.test',
  attempts: 2,
  reply: {
    code: 550,
    enhanced: '5.1.1',
    text: '550 5.1.1 <gone@remote.test>: Recipient address rejected: no such user',
    host: 'mx.remote.test[127.0.0.2]:25',
    human: 'The server for remote.test says the mailbox does not exist.'
  }
}

export interface MimePart {
  headers: Record<string, string>
  body: string
}

/** Splits a multipart body by its boundary into parts with (unfolded, lower-cased-name) headers and raw bodies. */
export function splitMultipart(raw: string): { top: Record<string, string>; parts: MimePart[] } {
  const [head = '', ...rest] = raw.split('\r\n\r\n')
  const top = parseHeaders(head)
  const boundary = /boundary="([^"]+)"/.exec(top['content-type'] ?? '')?.[1]
  if (boundary === undefined) throw new Error('no boundary')
  const body = rest.join('\r\n\r\n')
  const chunks = body.split(`\r\n--${boundary}`)
  const parts = chunks.slice(1).filter((c) => !c.startsWith('--')).map((chunk) => {
    const text = chunk.replace(/^\r\n/, '')
    const end = text.indexOf('\r\n\r\n')
    return { headers: parseHeaders(text.slice(0, end)), body: text.slice(end + 4) }
  })
  return { top, parts }
}

function parseHeaders(head: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) out[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return out
}

/** Parses a message/delivery-status body: groups of `Name: value` fields separated by empty lines (folding undone). */
export function parseStatusGroups(body: string): Record<string, string>[] {
  return body.replace(/\r\n[ \t]/g, ' ').split('\r\n\r\n').map((group) => group.trim()).filter((g) => g !== '').map((group) => {
    const fields: Record<string, string> = {}
    for (const line of group.split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon <= 0) throw new Error(`not a field line: ${JSON.stringify(line)}`)
      const name = line.slice(0, colon)
      if (name in fields) throw new Error(`field ${name} twice in one group`)
      fields[name] = line.slice(colon + 1).trim()
    }
    return fields
  })
}

/** Every line of a raw message: no bare CR or LF, none over 998 octets. Returns the offending descriptions. */
export function lineProblems(raw: Buffer): string[] {
  const problems: string[] = []
  const text = raw.toString('latin1')
  if (/\r(?!\n)/.test(text)) problems.push('bare CR')
  if (/(?<!\r)\n/.test(text)) problems.push('bare LF')
  text.split('\r\n').forEach((line, index) => { if (line.length > 998) problems.push(`line ${index + 1} has ${line.length} octets`) })
  return problems
}
