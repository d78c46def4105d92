// One streaming pass over a message file: file → MimeGuard → mailparser's MailParser, with the read limit. Used by
// parse-message.ts and save-attachment.ts alike, so attachment ids (their order) are the same in both.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { MailParser, type AttachmentStream, type Headers, type MessageText } from 'mailparser'
import { MimeGuard } from './mime-guard'
import type { ParseLimits } from './types'

export interface StreamHandlers {
  headers?(headers: Headers): void
  /** Every attachment in order (index = its id). Must consume or ignore `content`; release() is called after it resolves. */
  attachment(attachment: AttachmentStream, index: number): Promise<void>
  text?(text: MessageText): void
}

export interface StreamResult {
  size: number
  problems: string[]
}

/** mailparser options shared by every pass: no link rewriting, no text → HTML, cid: links left alone. */
function newMailParser(limits: ParseLimits): MailParser {
  // maxHeadSize / maxChildNodes go on to mailsplit; they sit above MimeGuard's limits, which cut the input first.
  const splitter = { maxHeadSize: limits.maxHeaderBytes * 2 + 64 * 1024, maxChildNodes: limits.maxParts * 2 + 16 }
  return new MailParser({
    skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: limits.maxHtmlChars, checksumAlgo: false, ...splitter
  } as ConstructorParameters<typeof MailParser>[0])
}

export async function streamMessage(path: string, limits: ParseLimits, handlers: StreamHandlers): Promise<StreamResult> {
  const { size } = await stat(path)
  const problems: string[] = []
  if (size > limits.maxReadBytes) problems.push(`the message is ${size} bytes; only the first ${limits.maxReadBytes} were read`)
  const file = createReadStream(path, { start: 0, end: Math.max(0, Math.min(size, limits.maxReadBytes) - 1), highWaterMark: 256 * 1024 })
  const guard = new MimeGuard(limits)
  const parser = newMailParser(limits)
  guard.once('limit', (problem: string) => {
    problems.push(problem)
    file.unpipe(guard)
    file.destroy()
    guard.end()
  })
  let index = 0
  await new Promise<void>((resolve, reject) => {
    let failed = false
    const fail = (error: Error): void => {
      if (failed) return
      failed = true
      file.destroy()
      reject(error)
    }
    file.once('error', fail)
    parser.once('error', fail)
    if (handlers.headers !== undefined) parser.once('headers', handlers.headers)
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        handlers.text?.(data)
        return
      }
      const attachment = data
      const id = index++
      // release() lets mailparser go on (it sets release to null once called).
      const release = (): void => attachment.release?.()
      handlers.attachment(attachment, id).then(release, (error: unknown) => {
        release()
        fail(error as Error)
      })
    })
    parser.once('end', () => {
      if (!failed) resolve()
    })
    if (size === 0) {
      file.destroy()
      parser.end()
      return
    }
    file.pipe(guard).pipe(parser)
  })
  return { size, problems }
}
