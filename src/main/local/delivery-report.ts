// Reads a delivery status notification (RFC 3464 multipart/report): the per-recipient status blocks and the returned original.
import { simpleParser, type AddressObject } from 'mailparser'
import type { DeliveryReport } from '../../shared/contract'

export type DeliveryStatusFields = Record<string, string>

/** The fields of a message/delivery-status body: the per-message block, then one block per recipient (names lower-cased). */
export function parseDeliveryStatus(text: string): { perMessage: DeliveryStatusFields; recipients: DeliveryStatusFields[] } {
  const blocks: DeliveryStatusFields[] = []
  let current: DeliveryStatusFields | null = null
  let lastName: string | null = null
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      current = null
      lastName = null
      continue
    }
    if (/^[ \t]/.test(line)) {
      // A folded continuation of the field before it.
      if (current !== null && lastName !== null) current[lastName] = `${current[lastName] ?? ''} ${line.trim()}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    if (current === null) {
      current = {}
      blocks.push(current)
    }
    lastName = line.slice(0, colon).trim().toLowerCase()
    current[lastName] = line.slice(colon + 1).trim()
  }
  const [perMessage = {}, ...recipients] = blocks
  return { perMessage, recipients }
}

/** `rfc822; bob@example.org` → `bob@example.org` (the type before ';' is dropped). */
function withoutType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const semi = value.indexOf(';')
  const bare = (semi === -1 ? value : value.slice(semi + 1)).trim()
  return bare === '' ? undefined : bare
}

/** The report's recipients from the status blocks; blocks without a recipient are skipped. */
export function reportRecipients(blocks: DeliveryStatusFields[]): DeliveryReport['recipients'] {
  const out: DeliveryReport['recipients'] = []
  for (const block of blocks) {
    const address = withoutType(block['final-recipient']) ?? withoutType(block['original-recipient'])
    if (address === undefined) continue
    const diagnostic = withoutType(block['diagnostic-code'])
    const remoteMta = withoutType(block['remote-mta'])
    out.push({
      address,
      action: (block.action ?? '').toLowerCase(),
      status: block.status ?? '',
      ...(diagnostic !== undefined ? { diagnostic } : {}),
      ...(remoteMta !== undefined ? { remoteMta } : {})
    })
  }
  return out
}

export function reportKind(recipients: DeliveryReport['recipients']): DeliveryReport['kind'] {
  if (recipients.some((r) => r.action === 'failed')) return 'failure'
  if (recipients.some((r) => r.action === 'delayed')) return 'delay'
  return 'other'
}

interface RawPart {
  contentType: string
  body: Buffer
}

function headerEnd(data: Buffer): { headers: string; body: Buffer } {
  const crlf = data.indexOf('\r\n\r\n')
  const lf = data.indexOf('\n\n')
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { headers: data.subarray(0, crlf).toString('latin1'), body: data.subarray(crlf + 4) }
  if (lf !== -1) return { headers: data.subarray(0, lf).toString('latin1'), body: data.subarray(lf + 2) }
  return { headers: data.toString('latin1'), body: Buffer.alloc(0) }
}

function contentTypeOf(headers: string): string {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ')
  const match = /^content-type:\s*([^;\r\n]+)/im.exec(unfolded)
  return (match?.[1] ?? 'text/plain').trim().toLowerCase()
}

/** The direct parts of a multipart body split on its boundary (the preamble and epilogue are dropped). */
function splitParts(body: Buffer, boundary: string): RawPart[] {
  const text = body.toString('latin1')
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g')
  const parts: RawPart[] = []
  let start: number | null = null
  for (let match = delimiter.exec(text); match !== null; match = delimiter.exec(text)) {
    if (start !== null) {
      const raw = Buffer.from(text.slice(start, match.index).replace(/^\r?\n/, ''), 'latin1')
      const { headers, body: partBody } = headerEnd(raw)
      parts.push({ contentType: contentTypeOf(headers), body: partBody })
    }
    if (match[1] === '--') break
    start = match.index + match[0].length
  }
  return parts
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  return list.flatMap((a) => a.value).map((v) => v.address ?? '').filter((s) => s !== '')
}

async function originalOf(part: RawPart | undefined): Promise<DeliveryReport['original']> {
  if (part === undefined) return { subject: '', to: [], cc: [], text: null }
  const full = part.contentType === 'message/rfc822' || part.contentType === 'message/global'
  const source = full ? part.body : Buffer.concat([part.body, Buffer.from('\r\n\r\n')])
  const parsed = await simpleParser(source, { skipHtmlToText: false, skipImageLinks: true })
  return { subject: parsed.subject ?? '', to: addresses(parsed.to), cc: addresses(parsed.cc), text: full ? (parsed.text ?? '') : null }
}

/**
 * The report of a raw message when it is multipart/report; report-type=delivery-status, else null.
 * `contentType` is the message's parsed Content-Type (value and params), as mailparser gives it.
 */
export async function readDeliveryReport(raw: Buffer, contentType: { value: string; params: Record<string, string> } | undefined): Promise<DeliveryReport | null> {
  if (contentType === undefined || contentType.value.toLowerCase() !== 'multipart/report') return null
  if ((contentType.params['report-type'] ?? '').toLowerCase() !== 'delivery-status') return null
  const boundary = contentType.params.boundary
  if (boundary === undefined || boundary === '') return null
  const parts = splitParts(headerEnd(raw).body, boundary)
  const status = parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status')
  if (status === undefined) return null
  const { recipients: blocks } = parseDeliveryStatus(status.body.toString('utf8'))
  const recipients = reportRecipients(blocks)
  const returned = parts.find((p) => ['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers'].includes(p.contentType))
  return { kind: reportKind(recipients), recipients, original: await originalOf(returned) }
}
