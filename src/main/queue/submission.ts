// What a submission must be before it enters the spool (checked addresses, one copy of each recipient), the new
// envelope built from it, and the envelope file's mtime as its next wake time. Pure except for the utimes call.
import { utimes } from 'node:fs/promises'
import { checkAddress } from '../../shared/address'
import { AppError } from '../../shared/result'
import { ENVELOPE_VERSION, stateDirFor, type DsnOptions, type Envelope, type EnvelopeRecipient, type Origin } from './envelope'
import { nextWakeAt } from './outcomes'

export interface EnqueueInput {
  /** The raw RFC 5322 message (CRLF line ends). */
  data: Buffer
  /** Envelope sender; '' is the null sender <>. */
  sender: string
  recipients: { address: string; original?: string }[]
  origin: Origin
  messageId: string | null
  subject: string
  notBefore?: number | null
  dsn?: DsnOptions
}

/** Same address, whatever the case of the domain (the local part is case-sensitive by RFC 5321). */
export function recipientKey(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase()
}

export function validate(input: EnqueueInput): void {
  if (input.recipients.length === 0) throw new AppError('NO_RECIPIENTS', 'The message has no recipients.')
  if (input.sender !== '') {
    const check = checkAddress(input.sender)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `The sender "${input.sender}" is not a valid address: ${check.reason}`)
  }
  for (const r of input.recipients) {
    const check = checkAddress(r.address)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `"${r.address}" is not a valid address: ${check.reason}`)
  }
}

/**
 * The Postfix trick: an envelope file's mtime is the time the message next needs the runner, so a scan of deferred/
 * can skip parsing files whose mtime is in the future. Set on the tmp file before the rename publishes it: the
 * next wake time, or now (the injected clock's) when it is due already. `onlyFuture` (enqueue into queued/, which
 * scans never skip) saves the call when there is nothing to say. A stamp lost in a crash leaves the write time,
 * which is in the past: the file is simply parsed.
 */
export async function stampNextWake(path: string, env: Envelope, now: number, onlyFuture: boolean): Promise<void> {
  if (stateDirFor(env) === 'hold') return
  const wake = nextWakeAt(env)
  const future = wake !== null && wake > now
  if (onlyFuture && !future) return
  await utimes(path, now / 1000, (future ? wake : now) / 1000)
}

/** The first envelope of a submission (seq 0, every recipient pending; duplicates kept once). */
export function newEnvelope(input: EnqueueInput, id: string, now: number): Envelope {
  const seen = new Set<string>()
  const recipients: EnvelopeRecipient[] = []
  for (const r of input.recipients) {
    const key = recipientKey(r.address)
    if (seen.has(key)) continue
    seen.add(key)
    recipients.push({ address: r.address, original: r.original ?? r.address, state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null, warned: false })
  }
  // Built by hand, not through the zod schema: every field is checked by validate() or made here (the sendmail door
  // must not load zod); tests/unit/queue/envelope.test.ts checks that the result passes the schema.
  return {
    version: ENVELOPE_VERSION, id, createdAt: now, origin: input.origin, sender: input.sender, size: input.data.length,
    messageId: input.messageId, subject: input.subject, notBefore: input.notBefore ?? null, seq: 0,
    ...(input.dsn === undefined ? {} : { dsn: input.dsn }), hold: null, frozenMs: 0, warnedAt: null, recipients
  }
}
