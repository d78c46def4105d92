// The spool envelope (versioned JSON beside the immutable data file): schema, parsing, and pure helpers over its state.
// Never put message content here: the envelope is rewritten on every attempt, the data file never is.
// The zod schema and the parser live in envelope-schema.ts, loaded only when envelopes are read: the sendmail door
// writes one without loading zod (start-up time, docs/performance.md).
import type { OutboxMessage, OutboxState } from '../../shared/contract'
import type { Envelope, EnvelopeRecipient } from './envelope-schema'

export { ENVELOPE_VERSION } from './envelope-version'

export type { DsnOptions, Envelope, EnvelopeRecipient, Origin } from './envelope-schema'

/** The spool directories that hold envelopes: the message's state is the directory it is in. */
export type SpoolDir = 'queued' | 'deferred' | 'hold'
export const SPOOL_DIRS: readonly SpoolDir[] = ['queued', 'deferred', 'hold']

export function serializeEnvelope(env: Envelope): Buffer {
  return Buffer.from(JSON.stringify(env, null, 1) + '\n', 'utf8')
}

export function isFinal(r: EnvelopeRecipient): boolean {
  return r.state === 'sent' || r.state === 'failed'
}

export function allFinal(env: Envelope): boolean {
  return env.recipients.every(isFinal)
}

/**
 * The directory an envelope belongs in: hold if the message is held or frozen (even when every recipient is final:
 * a frozen bounce stays visible), else hold if any recipient is held, else deferred if any is deferred
 * (or pending after an earlier attempt), else queued if any is pending and never tried; null when every
 * recipient is final (the message is about to leave the queue; it stays where it is).
 */
export function stateDirFor(env: Envelope): SpoolDir | null {
  if (env.hold !== null) return 'hold'
  const states = env.recipients.filter((r) => !isFinal(r))
  if (states.length === 0) return null
  if (states.some((r) => r.state === 'held')) return 'hold'
  if (states.some((r) => r.state === 'deferred' || r.attempts > 0)) return 'deferred'
  return 'queued'
}

/** The view of a finished message: sent only when every recipient was sent. */
export function finishedState(env: Envelope): 'sent' | 'failed' {
  return env.recipients.every((r) => r.state === 'sent') ? 'sent' : 'failed'
}

/** The outbox view (shared contract) of an envelope in the given state. Pure. */
export function toOutboxMessage(env: Envelope, state: OutboxState): OutboxMessage {
  return {
    id: env.id,
    createdAt: env.createdAt,
    origin: env.origin,
    sender: env.sender,
    subject: env.subject,
    size: env.size,
    state,
    messageId: env.messageId,
    notBefore: env.notBefore,
    hold: env.hold,
    recipients: env.recipients.map((r) => ({
      address: r.address,
      original: r.original,
      // While the message is held or frozen, its waiting recipients are shown as held.
      state: env.hold !== null && !isFinal(r) ? 'held' : r.state,
      attempts: r.attempts,
      lastReply: r.lastReply,
      nextAttemptAt: r.nextAttemptAt
    }))
  }
}

/** The newest of several copies of one message (highest seq); on equal seq (only after manual edits) the copy that sends nothing by itself. */
export function newestCopy<T extends { state: SpoolDir; envelope: Envelope }>(copies: T[]): T | undefined {
  return [...copies].sort((a, b) => b.envelope.seq - a.envelope.seq || TIE_ORDER[a.state] - TIE_ORDER[b.state])[0]
}

const TIE_ORDER: Record<SpoolDir, number> = { hold: 0, deferred: 1, queued: 2 }
