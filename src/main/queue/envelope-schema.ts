// The envelope's zod schema and parser: what a valid envelope file is, and a clear error saying what is wrong with one.
// Kept apart from envelope.ts so that writing an envelope (the sendmail door) never loads zod; readers import this.
import { z } from 'zod'
import { holdInfo, recipientState, smtpReply } from '../../shared/contract'
import { ENVELOPE_VERSION } from './envelope-version'
import { isQueueId } from './ids'

export const origin = z.enum(['ui', 'cli', 'listener', 'local'])
export type Origin = z.infer<typeof origin>

/** RFC 3461 DSN parameters given at submission (MAIL FROM RET/ENVID, RCPT NOTIFY). */
export const dsnOptions = z.object({
  notify: z.array(z.enum(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'])).optional(),
  ret: z.enum(['FULL', 'HDRS']).optional(),
  envid: z.string().optional()
})
export type DsnOptions = z.infer<typeof dsnOptions>

export const envelopeRecipient = z.object({
  address: z.string().min(1),
  /** The recipient as first submitted (RFC 3461 ORCPT), before any alias or .forward expansion. */
  original: z.string().min(1),
  state: recipientState,
  attempts: z.number().int().min(0),
  lastReply: smtpReply.nullable(),
  /** Earliest time of the next attempt (ms); null: as soon as the message is due. */
  nextAttemptAt: z.number().nullable(),
  /** Whether the delay warning has been sent for this recipient. */
  warned: z.boolean()
})
export type EnvelopeRecipient = z.infer<typeof envelopeRecipient>

export const envelopeSchema = z.object({
  version: z.literal(ENVELOPE_VERSION),
  id: z.string().refine(isQueueId, 'not a queue id'),
  createdAt: z.number(),
  origin,
  /** Envelope sender (MAIL FROM); '' is the null sender <>. */
  sender: z.string(),
  size: z.number().int().min(0),
  messageId: z.string().nullable(),
  /** For display only (outbox, mailq). */
  subject: z.string(),
  /** Not before this time (ms): send later, undo send. */
  notBefore: z.number().nullable(),
  /** Incremented on every rewrite; recovery keeps the highest when a message is found in two directories. */
  seq: z.number().int().min(0),
  dsn: dsnOptions.optional(),
  /** Why the message is in hold/ (user hold, or frozen); null otherwise. Frozen time does not count towards the lifetime. */
  hold: holdInfo.nullable().default(null),
  /** Total ms spent frozen, added to the lifetime deadline. */
  frozenMs: z.number().min(0).default(0),
  /** Set once the sender got the delay warning for this message (one warning per message). */
  warnedAt: z.number().nullable().default(null),
  recipients: z.array(envelopeRecipient).min(1)
})
export type Envelope = z.infer<typeof envelopeSchema>

export class EnvelopeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EnvelopeError'
  }
}

/** Parses an envelope file; throws EnvelopeError saying what is wrong (truncated JSON, wrong version, bad field). */
export function parseEnvelope(bytes: Buffer | string): Envelope {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8')
  if (text.trim() === '') throw new EnvelopeError('the envelope is empty')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new EnvelopeError(`the envelope is not valid JSON (truncated or damaged): ${(error as Error).message}`, { cause: error })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new EnvelopeError('the envelope is not a JSON object')
  const version = (raw as { version?: unknown }).version
  if (version !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`unsupported envelope version ${JSON.stringify(version ?? null)} (this program reads version ${ENVELOPE_VERSION})`)
  }
  const parsed = envelopeSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.')}: ${issue.message}`)
    throw new EnvelopeError(`the envelope does not match the schema: ${problems.join('; ')}`)
  }
  return parsed.data
}

