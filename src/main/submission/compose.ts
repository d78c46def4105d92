// Builds the RFC 5322 message for a message written in the UI (nodemailer's MailComposer), then the same checks as sendmail.
// Replies carry In-Reply-To and References (RFC 5322 §3.6.4); attachments become MIME parts (filenames RFC 2231
// encoded by MailComposer); the whole message must fit the message size limit, checked before anything is queued.
import MailComposer from 'nodemailer/lib/mail-composer'
import type { CallParsedArgs } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { newMessageId, prepareMessage, type PreparedMessage } from './prepare'

export type ComposeInput = CallParsedArgs<'compose.send'>

/** References kept in a reply: the first (the thread's root) and the most recent ones, as most mail clients trim. */
export const MAX_REFERENCES = 20
/** Default bound when the caller gives none (the listener's default maxMessageSize). */
export const DEFAULT_MAX_MESSAGE_BYTES = 35 * 1024 * 1024

export interface ComposeOptions {
  hostname: string
  now: number
  fromName?: string
  /** The message size limit in bytes (config listener.maxMessageSize). */
  maxBytes?: number
}

/** "<id@host>" from "id@host" or "<id@host>"; refuses anything that could break the header. */
export function normaliseMessageId(value: string, where: string): string {
  const trimmed = value.trim()
  if (trimmed === '') throw new AppError('INVALID_ARGUMENT', `${where}: empty Message-ID`)
  if (/[\s<>]/.test(trimmed.replace(/^<(.*)>$/, '$1'))) throw new AppError('INVALID_ARGUMENT', `${where}: "${trimmed}" is not a Message-ID (no spaces or brackets inside <…>)`, { where })
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`
}

/** The parent's References plus its Message-ID, without duplicates, trimmed to the root and the latest ids. */
export function replyReferences(parentReferences: readonly string[], inReplyTo: string | null): string[] {
  const ids = parentReferences.flatMap((r) => r.split(/\s+/)).filter((r) => r !== '').map((r) => normaliseMessageId(r, 'References'))
  if (inReplyTo !== null) ids.push(normaliseMessageId(inReplyTo, 'In-Reply-To'))
  const unique = ids.filter((id, index) => ids.indexOf(id) === index)
  if (unique.length <= MAX_REFERENCES) return unique
  return [unique[0] as string, ...unique.slice(unique.length - (MAX_REFERENCES - 1))]
}

/** Decodes base64 strictly: a truncated or corrupted file is refused, never sent damaged. */
export function decodeAttachment(filename: string, base64: string): Buffer {
  const compact = base64.replace(/\s+/g, '')
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new AppError('INVALID_ARGUMENT', `The attachment "${filename}" could not be read (its data is not valid base64)`, { filename })
  }
  return Buffer.from(compact, 'base64')
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export async function composeMessage(input: ComposeInput, options: ComposeOptions): Promise<PreparedMessage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  const attachments = input.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: decodeAttachment(a.filename, a.contentBase64) }))
  const attachedBytes = attachments.reduce((sum, a) => sum + a.content.length, 0)
  // Base64 in the message takes 4/3 of the file size: check early with that estimate, exactly below.
  if (Math.ceil(attachedBytes * 4 / 3) > maxBytes) {
    throw new AppError('MESSAGE_TOO_LARGE', `The attachments (${megabytes(attachedBytes)}) make the message larger than the limit of ${megabytes(maxBytes)}; remove some, or share large files another way`, { size: attachedBytes, limit: maxBytes })
  }
  const references = replyReferences(input.references, input.inReplyTo)
  const messageId = newMessageId(options.hostname, options.now)
  const composer = new MailComposer({
    from: options.fromName !== undefined && options.fromName !== '' ? { name: options.fromName, address: input.from } : input.from,
    to: input.to,
    cc: input.cc.length > 0 ? input.cc : undefined,
    subject: input.subject,
    text: input.text,
    messageId,
    date: new Date(options.now),
    textEncoding: 'quoted-printable',
    headers: { 'User-Agent': 'Mailroom' },
    ...(input.inReplyTo !== null ? { inReplyTo: normaliseMessageId(input.inReplyTo, 'In-Reply-To') } : {}),
    ...(references.length > 0 ? { references } : {}),
    ...(attachments.length > 0 ? { attachments } : {})
  })
  const raw = await composer.compile().build()
  if (raw.length > maxBytes) {
    throw new AppError('MESSAGE_TOO_LARGE', `The message is ${megabytes(raw.length)}, larger than the limit of ${megabytes(maxBytes)}; remove attachments, or share large files another way`, { size: raw.length, limit: maxBytes })
  }
  return prepareMessage(raw, {
    hostname: options.hostname,
    sender: input.from,
    recipients: [...input.to, ...input.cc, ...input.bcc],
    extractRecipients: false,
    ignoreDots: true,
    now: options.now
  })
}
