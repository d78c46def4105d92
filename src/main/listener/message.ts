// DATA: reads the message (within the size limit, refusing bare CR/LF), completes it like any submission, adds
// Received:, and commits it to the spool. The reply is decided only after the commit (or its refusal).
import type { Readable } from 'node:stream'
import { receivedCount } from '../local/loops'
import type { SubmitInput } from '../queue/service'
import { prepareMessage } from '../submission/prepare'
import { LineEndChecker } from './line-ends'
import { receivedHeader, type ReceivedInfo } from './received'
import { replies, replyError, replyForSubmitError, type SmtpReplyError } from './replies'

export interface IncomingMessage {
  sender: string
  recipients: string[]
  received: Omit<ReceivedInfo, 'recipients' | 'now'>
}

export interface MessageLimits {
  /** Bytes of DATA accepted (after dot-unstuffing); 552 5.3.4 beyond. */
  maxBytes: number
  /** More Received: lines than this is a mail loop: 554 5.4.6. */
  maxReceived: number
}

export interface CommitDeps {
  hostname: string
  now(): number
  submit(input: SubmitInput): Promise<{ id: string }>
}

export type DataOutcome = { ok: true; id: string; size: number } | { ok: false; error: SmtpReplyError }

/** Reads the DATA stream to its end. Past the limit or after a bare CR/LF the rest is read and dropped, never kept. */
export function readMessage(stream: Readable & { sizeExceeded?: boolean }, maxBytes: number): Promise<{ data: Buffer | null; error: SmtpReplyError | null }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let dropping = false
    const lineEnds = new LineEndChecker()
    stream.on('data', (chunk: Buffer) => {
      if (dropping) return
      size += chunk.length
      if (size > maxBytes || stream.sizeExceeded === true) {
        dropping = true
        chunks.length = 0
        return
      }
      lineEnds.push(chunk)
      if (lineEnds.found !== null) {
        dropping = true
        chunks.length = 0
        return
      }
      chunks.push(chunk)
    })
    stream.once('error', reject)
    stream.once('end', () => {
      if (size > maxBytes || stream.sizeExceeded === true) return resolve({ data: null, error: replies.tooBig(maxBytes) })
      const bare = lineEnds.end()
      if (bare !== null) return resolve({ data: null, error: replies.bareLineEnd(bare.kind, bare.line) })
      resolve({ data: Buffer.concat(chunks, size), error: null })
    })
  })
}

/** Completes the message (From/Date/Message-ID if missing, Bcc removed), puts Received: on top, and commits it. */
export async function commitMessage(deps: CommitDeps, message: IncomingMessage, data: Buffer, limits: MessageLimits): Promise<DataOutcome> {
  const hops = receivedCount(data)
  if (hops >= limits.maxReceived) {
    return { ok: false, error: replyError(554, '5.4.6', `Too many hops: ${hops} Received: headers (the limit is ${limits.maxReceived}); is this a mail loop?`) }
  }
  try {
    const now = deps.now()
    const prepared = prepareMessage(data, {
      hostname: deps.hostname, sender: message.sender, recipients: message.recipients, extractRecipients: false, ignoreDots: true, now
    })
    const header = Buffer.from(receivedHeader({ ...message.received, recipients: prepared.recipients, now }), 'latin1')
    const full = Buffer.concat([header, prepared.data])
    const { id } = await deps.submit({
      data: full, sender: prepared.sender, recipients: prepared.recipients.map((address) => ({ address })),
      origin: 'listener', messageId: prepared.messageId, subject: prepared.subject
    })
    return { ok: true, id, size: full.length }
  } catch (error) {
    return { ok: false, error: replyForSubmitError(error) }
  }
}
