// Reading a cached message file for the mail section: parsed in the worker pool of src/main/parse (never on the main
// thread), mapped to the reader's view plus the text for the full-text index; attachments saved by streaming.
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { MessageView } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { saveAttachment, type MessageParser, type ParsedMessage as ParseResult } from '../parse'

export type ParsedView = Omit<MessageView, 'uid' | 'seen' | 'flagged' | 'remoteContentAllowed'>

export interface ParsedMessage {
  view: ParsedView
  /** Plain text for the full-text index (the parser's textForIndex). */
  text: string
  preview: string
  hasAttachments: boolean
}

/** The parser's result as the reader's view (no empty problems/inline images) and the index's text. */
export function toParsedMessage(result: ParseResult): ParsedMessage {
  const { textForIndex, preview, hasAttachments, size: _size, problems, inlineImages, fromAddress, ...rest } = result
  const view: ParsedView = {
    ...rest,
    ...(fromAddress !== undefined ? { fromAddress: fromAddress.toLowerCase() } : {}),
    ...(inlineImages !== undefined && Object.keys(inlineImages).length > 0 ? { inlineImages } : {}),
    ...(problems.length > 0 ? { problems } : {})
  }
  return { view, text: textForIndex, preview, hasAttachments }
}

/**
 * Parses a message file in a parse worker. A missing file is NOT_FOUND; a message the parser gives up on (no
 * readable header, timeout, worker crash) comes back as a view that says so, never as an exception.
 */
export async function parseMessageFile(parser: MessageParser, path: string): Promise<ParsedMessage> {
  try {
    return toParsedMessage(await parser.parse(path))
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'PARSE_FAILED') throw error
    const message = `This message could not be read: ${error.message}`
    return {
      view: { subject: '', from: '', to: [], cc: [], date: null, messageId: null, text: message, html: null, attachments: [], problems: [message] },
      text: '', preview: '', hasAttachments: false
    }
  }
}

/** A file name safe to create: no directories, no control characters, never empty. */
export function safeFileName(name: string): string {
  const leaf = name.split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const cleaned = leaf.replace(/[\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '').trim()
  return cleaned === '' ? 'attachment' : cleaned.slice(0, 200)
}

/**
 * Streams attachment `attachmentId` ("0", "1", … as the view's attachments[].id) of the message file into `dest`:
 * a directory (the attachment's own name, made safe, inside it) or a file path. An existing file is never
 * overwritten ("name (1).ext" instead); the attachment is never held in memory.
 */
export async function saveAttachmentFromFile(parser: MessageParser, sourcePath: string, attachmentId: string,
  dest: { dir: string } | { file: string }): Promise<{ path: string; size: number }> {
  if (!/^\d+$/.test(attachmentId)) throw new AppError('INVALID_ARGUMENT', `"${attachmentId}" is not an attachment id of this message`)
  let target: string
  if ('dir' in dest) {
    const attachment = (await parser.parse(sourcePath)).attachments.find((a) => a.id === attachmentId)
    if (attachment === undefined) throw new AppError('NOT_FOUND', `The message has no attachment ${attachmentId}`, { attachmentId })
    target = join(dest.dir, safeFileName(attachment.filename))
  } else {
    target = dest.file
  }
  await mkdir(dirname(target), { recursive: true })
  return saveAttachment(sourcePath, attachmentId, target)
}
