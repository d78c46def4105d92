// Parses a raw message file into the reader's view (ParsedMessage) in one streaming pass. Attachment bodies are
// counted and dropped, never kept, except small inline images (data: URLs for cid: references). Runs in a worker.
import type { AddressObject, AttachmentStream, Headers, MessageText } from 'mailparser'
import { readFile } from 'node:fs/promises'
import type { DeliveryReport } from '../../shared/contract-mail'
import { AppError } from '../../shared/result'
import { readDeliveryReport } from '../local/delivery-report'
import { streamMessage } from './stream-parser'
import { DEFAULT_PARSE_LIMITS, PREVIEW_CHARS, type ParsedMessage, type ParseLimits } from './types'

type Attachment = ParsedMessage['attachments'][number]

/** "Name <addr>" or addr, for each mailbox of an address header (groups flattened). */
export function addressList(value: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = []
  for (const object of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
    const walk = (entries: AddressObject['value']): void => {
      for (const entry of entries) {
        if (entry.group !== undefined) walk(entry.group)
        else if (entry.address !== undefined && entry.address !== '') out.push(entry.name !== '' ? `${entry.name} <${entry.address}>` : entry.address)
        else if (entry.name !== '') out.push(entry.name)
      }
    }
    walk(object.value)
  }
  return out
}

function headerString(headers: Headers, name: string): string | null {
  const value = headers.get(name)
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return null
}

function referencesOf(headers: Headers): string[] {
  const value = headers.get('references')
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
  return list.flatMap((v) => (typeof v === 'string' ? v.split(/\s+/) : [])).filter((v) => v !== '')
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim()

/** Reads an attachment stream to its end, keeping at most `keep` bytes (null: kept nothing, or it was bigger). */
function drain(content: NodeJS.ReadableStream, keep: number): Promise<{ size: number; kept: Buffer | null }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    content.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= keep) chunks.push(chunk)
      else chunks.length = 0
    })
    content.once('error', reject)
    content.once('end', () => resolve({ size, kept: size <= keep && keep > 0 ? Buffer.concat(chunks) : null }))
  })
}

export async function parseMessageFile(path: string, limitOverrides: Partial<ParseLimits> = {}): Promise<ParsedMessage> {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...limitOverrides }
  let headers: Headers | null = null
  let text: MessageText | null = null
  const attachments: Attachment[] = []
  const inlineImages: Record<string, string> = {}
  let inlineTotal = 0
  const problems: string[] = []
  let size = 0

  const onAttachment = async (a: AttachmentStream, index: number): Promise<void> => {
    const cid = a.cid ?? null
    const image = a.contentType.toLowerCase().startsWith('image/')
    const wanted = cid !== null && image && inlineTotal < limits.maxInlineImagesTotal
    const { size: bytes, kept } = await drain(a.content, wanted ? Math.min(limits.maxInlineImageBytes, limits.maxInlineImagesTotal - inlineTotal) : 0)
    if (kept !== null && cid !== null) {
      inlineImages[cid] = `data:${a.contentType.toLowerCase().replace(/[^a-z0-9.+/-]/g, '')};base64,${kept.toString('base64')}`
      inlineTotal += kept.length
    } else if (wanted) {
      problems.push(`the inline image ${cid} (${bytes} bytes) is larger than ${limits.maxInlineImageBytes} bytes or over the total for inline images; shown as an attachment only`)
    }
    attachments.push({
      id: String(index),
      filename: a.filename ?? (cid !== null ? `${cid}` : `attachment-${index + 1}`),
      contentType: a.contentType,
      size: bytes,
      ...(cid === null ? {} : { contentId: cid }),
      inline: a.contentDisposition === 'inline' || a.related === true
    })
  }

  try {
    const result = await streamMessage(path, limits, { headers: (h) => (headers = h), text: (t) => (text = t), attachment: onAttachment })
    size = result.size
    problems.unshift(...result.problems)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `${path}: the message file is missing`, { path }, { cause: error })
    if (headers === null) throw new AppError('PARSE_FAILED', `${path}: the message cannot be read: ${(error as Error).message}`, { path }, { cause: error })
    problems.push(`the message is damaged and was read only in part: ${(error as Error).message}`)
  }
  const view = buildView(headers, text, attachments, inlineImages, problems, size, limits)
  const report = await deliveryReportOf(path, headers, size, limits, problems)
  return report === null ? view : { ...view, report }
}

/** The bounce card's data when the message is a multipart/report (read again from the file: small, and rare). */
async function deliveryReportOf(path: string, headers: Headers | null, size: number, limits: ParseLimits, problems: string[]): Promise<DeliveryReport | null> {
  const contentType = headers?.get('content-type') as { value: string; params: Record<string, string> } | undefined
  if (contentType === undefined || contentType.value.toLowerCase() !== 'multipart/report' || size > limits.maxReportBytes) return null
  try {
    return await readDeliveryReport(await readFile(path), contentType)
  } catch (error) {
    problems.push(`the delivery report could not be read: ${(error as Error).message}`)
    return null
  }
}

function buildView(headers: Headers | null, text: MessageText | null, attachments: Attachment[], inlineImages: Record<string, string>,
  problems: string[], size: number, limits: ParseLimits): ParsedMessage {
  const h: Headers = headers ?? new Map()
  const from = addressList(h.get('from') as AddressObject | undefined)
  const fromObject = h.get('from') as AddressObject | undefined
  const date = h.get('date')
  const plain = text === null || text.text === undefined ? '' : text.text
  let html = text === null || typeof text.html !== 'string' ? null : text.html
  if (html !== null && html.length > limits.maxHtmlChars) {
    html = null
    problems.push(`the HTML part is larger than ${limits.maxHtmlChars} characters; only its text is shown`)
  }
  const textForIndex = plain.length > limits.maxIndexText ? plain.slice(0, limits.maxIndexText) : plain
  const replyTo = addressList(h.get('reply-to') as AddressObject | undefined)
  const inReplyTo = headerString(h, 'in-reply-to')
  return {
    subject: headerString(h, 'subject') ?? '',
    from: from[0] ?? '',
    ...(fromObject?.value[0]?.address ? { fromAddress: fromObject.value[0].address } : {}),
    to: addressList(h.get('to') as AddressObject | AddressObject[] | undefined),
    cc: addressList(h.get('cc') as AddressObject | AddressObject[] | undefined),
    ...(replyTo.length > 0 ? { replyTo } : {}),
    date: date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : null,
    messageId: headerString(h, 'message-id'),
    inReplyTo,
    references: referencesOf(h),
    text: plain,
    html,
    inlineImages,
    attachments,
    problems,
    textForIndex,
    preview: collapse(plain.slice(0, PREVIEW_CHARS * 4)).slice(0, PREVIEW_CHARS),
    hasAttachments: attachments.some((a) => a.inline !== true),
    size
  }
}
