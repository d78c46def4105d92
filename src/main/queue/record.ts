// Writing delivery outcomes into the spool: seq-checked, re-applied to a newer copy on a concurrent change, and
// merged idempotently when an earlier write failed. A recipient the server accepted always ends up recorded as sent.
import type { RecipientOutcome } from '../delivery/types'
import type { Logger } from '../log/logger'
import type { Envelope, EnvelopeRecipient } from './envelope'
import { applyOutcomes, mergeUnrecorded } from './outcomes'
import type { RetryPolicy } from './retry'
import { SpoolConflictError, type Spool } from './spool'

const MAX_RECORD_TRIES = 3

/**
 * Writes the outcomes durably; on a concurrent change re-applies them to the newer copy.
 * 'gone': the message was removed meanwhile (nothing to record); null: it could not be written.
 */
export async function recordOutcomes(
  spool: Spool, log: Logger, policy: RetryPolicy, envelope: Envelope, due: string[], outcomes: RecipientOutcome[], at: number, probeAt: number | null
): Promise<Envelope | 'gone' | null> {
  let base: Envelope = envelope
  for (let attempt = 0; attempt < MAX_RECORD_TRIES; attempt++) {
    try {
      return await spool.update(applyOutcomes(base, due, outcomes, at, policy, probeAt).envelope)
    } catch (error) {
      if (!(error instanceof SpoolConflictError)) {
        log.error('queue', `${envelope.id}: could not record the delivery outcome (will record it before any new attempt): ${(error as Error).message}`)
        return null
      }
      const fresh = await spool.get(envelope.id)
      if (fresh === null) {
        log.warn('queue', `${envelope.id}: the message was removed during delivery; outcome not recorded`)
        return 'gone'
      }
      base = fresh
    }
  }
  log.error('queue', `${envelope.id}: the envelope kept changing during delivery; outcome not recorded yet`)
  return null
}

/**
 * Records an attempt that made every recipient sent by removing the message (envelope unlink + group-committed
 * directory fsync, then the data): the removal is the durable record that it is done, so the envelope is not
 * rewritten first. 'rewrite' when the copy on disk is not the one delivered from (the caller records normally);
 * 'gone' when it was removed meanwhile. A crash before the directory fsync leaves the old envelope and the
 * message is delivered again: the same window as a crash before a rewrite's fsync.
 */
export async function recordByRemoval(spool: Spool, log: Logger, delivered: Envelope): Promise<'done' | 'rewrite' | 'gone'> {
  const current = await spool.locate(delivered.id)
  if (current === null) return 'gone'
  if (current.envelope.seq !== delivered.seq) return 'rewrite'
  try {
    await spool.complete(delivered.id, delivered.size)
  } catch (error) {
    // The name is gone from the directory already or the fsync failed: a crash now may deliver it again (logged).
    log.error('queue', `${delivered.id}: removing the sent message failed: ${(error as Error).message}`)
  }
  return 'done'
}

/** Writes recipients whose record failed earlier into the newest copy; 'gone' / null as for recordOutcomes(). */
export async function writeMerged(spool: Spool, log: Logger, id: string, intended: readonly EnvelopeRecipient[]): Promise<Envelope | 'gone' | null> {
  try {
    return (await spool.modify(id, (env) => mergeUnrecorded(env, intended))).envelope
  } catch (error) {
    if ((error as { code?: unknown }).code === 'NOT_FOUND') return 'gone'
    log.error('queue', `${id}: could not record the delivery outcome yet: ${(error as Error).message}`)
    return null
  }
}
