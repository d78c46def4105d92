// What parsing a raw message yields (the reader's view plus search text) and the limits that keep hostile mail bounded.
import type { MessageView } from '../../shared/contract-mail'

/** The reader's view of a message file (messageView without the mailbox state), plus what the cache indexes. */
/** `report` is set for a delivery status notification (multipart/report; report-type=delivery-status) up to maxReportBytes. */
export type ParsedMessage = Omit<MessageView, 'uid' | 'seen' | 'flagged' | 'remoteContentAllowed' | 'problems'> & {
  /** Attachment ids are "0", "1", … in mailparser's attachment order: saveAttachment(path, id, dest) takes them. */
  attachments: Array<MessageView['attachments'][number] & { id: string }>
  /** Limits that were hit and damage that was found, in words; empty when the message was read whole. */
  problems: string[]
  /** Plain text for the full-text index (the text part, else the HTML's text), at most limits.maxIndexText characters. */
  textForIndex: string
  /** The first 200 characters of the text, white space collapsed. */
  preview: string
  hasAttachments: boolean
  /** Bytes of the file (all of it, also when only a part was read). */
  size: number
}

export interface ParseLimits {
  /** Bytes read from the file; beyond: the rest is not parsed (problem noted). */
  maxReadBytes: number
  /** multipart and message/rfc822 nesting; deeper parts are not parsed. */
  maxDepth: number
  /** MIME parts in total; later parts are not parsed. */
  maxParts: number
  /** Bytes of one header section (the message's or a part's); a bigger one ends the parse there. */
  maxHeaderBytes: number
  /** One inline image kept as a data: URL (cid: references in the HTML). */
  maxInlineImageBytes: number
  /** All inline images of a message together. */
  maxInlineImagesTotal: number
  /** Characters of textForIndex. */
  maxIndexText: number
  /** Characters of the HTML handed to the reader (the renderer sanitises it). */
  maxHtmlChars: number
  /** A delivery report (bounce) bigger than this is shown as a plain message, without the bounce card. */
  maxReportBytes: number
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxReadBytes: 64 * 1024 * 1024,
  maxDepth: 32,
  maxParts: 2_000,
  maxHeaderBytes: 512 * 1024,
  maxInlineImageBytes: 1024 * 1024,
  maxInlineImagesTotal: 4 * 1024 * 1024,
  maxIndexText: 256 * 1024,
  maxHtmlChars: 8 * 1024 * 1024,
  maxReportBytes: 25 * 1024 * 1024
}

export const PREVIEW_CHARS = 200
