// The Sent-copy job file (spool/sent-copy/<id>.json): schema, parsing and serialising. Pure; no I/O here.
// A job is a promise to append one already-sent message to an IMAP account's Sent mailbox; it never sends mail.
import { z } from 'zod'

export const SENT_JOB_VERSION = 1

export const sentJobSchema = z.object({
  version: z.literal(SENT_JOB_VERSION),
  /** The queue id of the message that was sent (also the name of the job's files). */
  id: z.string().regex(/^[0-9A-Z]{1,64}$/, 'not a queue id'),
  accountId: z.string().min(1),
  /** The message's Message-ID header (used to find a copy an interrupted APPEND may have left); null if it had none. */
  messageId: z.string().nullable(),
  sender: z.string(),
  /** Recipients no To/Cc header names: a Bcc field is added to the copy (submission stripped it from the message). */
  bcc: z.array(z.string()).default([]),
  /** When the message was queued (ms): the internal date when the message has no usable Date header. */
  queuedAt: z.number(),
  /** When the job was created (ms): the job gives up 7 days after this. */
  createdAt: z.number(),
  /** APPEND attempts started so far. */
  attempts: z.number().int().min(0),
  /** Failed turns (APPEND failed, or the account could not be reached or logged in to): drives the backoff. */
  failures: z.number().int().min(0),
  /** Whether an APPEND was ever sent to the server (it may have succeeded even if we never saw the answer). */
  appendTried: z.boolean(),
  /** Earliest time of the next attempt (ms). */
  nextAttemptAt: z.number(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable()
})
export type SentJob = z.infer<typeof sentJobSchema>

export class SentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SentJobError'
  }
}

/** Parses a job file; throws SentJobError saying what is wrong. */
export function parseSentJob(bytes: Buffer | string): SentJob {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new SentJobError(`the job file is not valid JSON (truncated or damaged): ${(error as Error).message}`)
  }
  const parsed = sentJobSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.')}: ${issue.message}`)
    throw new SentJobError(`the job file does not match the schema: ${problems.join('; ')}`)
  }
  return parsed.data
}

export function serializeSentJob(job: SentJob): Buffer {
  return Buffer.from(JSON.stringify(job, null, 1) + '\n', 'utf8')
}
