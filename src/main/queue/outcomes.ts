// Pure scheduling rules over an envelope: which recipients are due, when the message next needs the runner,
// and how delivery outcomes change the envelope (attempts, last reply, retry time, expiry).
import type { SmtpReplyInfo } from '../../shared/contract'
import type { RecipientOutcome } from '../delivery/types'
import { allFinal, isFinal, type Envelope, type EnvelopeRecipient } from './envelope'
import { EXPIRED_ENHANCED_CODE, describeLifetime, isExpired, lifetimeStart, nextAttemptAt, type RetryPolicy } from './retry'

export type LoggedStatus = 'sent' | 'deferred' | 'failed' | 'expired'

/** What happened to one recipient in one attempt, for the maillog and the summary. */
export interface OutcomeEvent {
  recipient: string
  status: LoggedStatus
  reply: SmtpReplyInfo
}

const isWaiting = (r: EnvelopeRecipient): boolean => r.state === 'pending' || r.state === 'deferred'

/**
 * Recipients to attempt now. Nothing before the message's not-before time (send later / undo send is the user's
 * decision, so even a forced run respects it); `force` ignores the retry times; held recipients never.
 */
export function dueRecipients(env: Envelope, now: number, force: boolean): string[] {
  if (env.notBefore !== null && env.notBefore > now) return []
  return env.recipients
    .filter((r) => isWaiting(r) && (force || r.nextAttemptAt === null || r.nextAttemptAt <= now))
    .map((r) => r.address)
}

/** The earliest time this message needs the runner (0: now, e.g. finished but not yet removed), or null: never by itself. */
export function nextWakeAt(env: Envelope): number | null {
  if (allFinal(env)) return 0
  let earliest: number | null = null
  for (const r of env.recipients) {
    if (!isWaiting(r)) continue
    const at = Math.max(env.notBefore ?? 0, r.nextAttemptAt ?? 0)
    if (earliest === null || at < earliest) earliest = at
  }
  return earliest
}

export function earlier(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}

function missingOutcome(recipient: string): RecipientOutcome {
  return {
    recipient,
    status: 'deferred',
    reply: { text: 'the delivery agent returned no result for this recipient', enhanced: '4.3.0', human: 'Delivery was interrupted before this recipient got an answer; it will be retried.' }
  }
}

function findOutcome(outcomes: readonly RecipientOutcome[], address: string): RecipientOutcome | undefined {
  return outcomes.find((o) => o.recipient === address) ?? outcomes.find((o) => o.recipient.toLowerCase() === address.toLowerCase())
}

/**
 * Applies one attempt's outcomes to the recipients in `due`. Every attempt counts (attempts+1) and keeps its reply.
 * sent/failed are final. deferred schedules the next try, or past the lifetime (counted from creation plus the
 * time spent frozen) becomes failed with 4.4.7.
 * A recipient that became final meanwhile is left alone; one held meanwhile records the attempt but stays held,
 * unless the outcome was final (a recipient the server accepted is sent, whatever else happened).
 * `offlineProbeAt`: the attempt happened while the network was down; it does not count (attempts unchanged, no
 * expiry) and the recipient is tried again at that time (a short probe interval, not the retry schedule).
 */
export function applyOutcomes(
  env: Envelope, due: readonly string[], outcomes: readonly RecipientOutcome[], now: number, policy: RetryPolicy,
  offlineProbeAt: number | null = null
): { envelope: Envelope; events: OutcomeEvent[] } {
  const events: OutcomeEvent[] = []
  const start = lifetimeStart(env)
  const recipients = env.recipients.map((r): EnvelopeRecipient => {
    if (!due.includes(r.address) || r.state === 'sent' || r.state === 'failed') return r
    const outcome = findOutcome(outcomes, r.address) ?? missingOutcome(r.address)
    if (offlineProbeAt !== null && outcome.status === 'deferred') {
      events.push({ recipient: r.address, status: 'deferred', reply: outcome.reply })
      if (r.state === 'held') return { ...r, lastReply: outcome.reply }
      return { ...r, state: 'deferred', lastReply: outcome.reply, nextAttemptAt: offlineProbeAt }
    }
    const attempts = r.attempts + 1
    const reply = outcome.reply
    if (outcome.status === 'sent' || outcome.status === 'failed') {
      events.push({ recipient: r.address, status: outcome.status, reply })
      return { ...r, state: outcome.status, attempts, lastReply: reply, nextAttemptAt: null }
    }
    if (isExpired(start, now, policy)) {
      const last = reply.human ?? reply.text
      const expired: SmtpReplyInfo = {
        ...reply,
        enhanced: EXPIRED_ENHANCED_CODE,
        human: `gave up after ${describeLifetime(policy.lifetime)}${last === '' ? '' : `; last error: ${last}`}`
      }
      events.push({ recipient: r.address, status: 'expired', reply: expired })
      return { ...r, state: 'failed', attempts, lastReply: expired, nextAttemptAt: null }
    }
    events.push({ recipient: r.address, status: 'deferred', reply })
    if (r.state === 'held') return { ...r, attempts, lastReply: reply }
    return { ...r, state: 'deferred', attempts, lastReply: reply, nextAttemptAt: nextAttemptAt(attempts, start, now, policy) }
  })
  return { envelope: { ...env, recipients }, events }
}

/**
 * Recipients whose new state could not be written: merged into the newest copy before any new attempt. Merging
 * is idempotent (a copy that already has as many attempts keeps its own record), so a write that did land in
 * the end is not counted twice, and a sent recipient is always recorded as sent.
 */
export function mergeUnrecorded(env: Envelope, intended: readonly EnvelopeRecipient[]): Envelope {
  return {
    ...env,
    recipients: env.recipients.map((current) => {
      const wanted = intended.find((r) => r.address === current.address)
      if (wanted === undefined) return current
      if (wanted.state === 'sent') return current.state === 'sent' ? current : { ...wanted, attempts: Math.max(wanted.attempts, current.attempts) }
      if (current.attempts >= wanted.attempts || isFinal(current)) return current
      return current.state === 'held' && !isFinal(wanted) ? { ...wanted, state: 'held' } : wanted
    })
  }
}
