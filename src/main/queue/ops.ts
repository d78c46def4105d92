// User operations on one queued message as pure envelope changes: hold, release, freeze, thaw, retry now, edit
// recipients. Each refuses with INVALID_STATE and a sentence a person understands; the service writes the result.
import { checkAddress } from '../../shared/address'
import { AppError } from '../../shared/result'
import { isFinal, type Envelope, type EnvelopeRecipient } from './envelope'
import { recipientKey } from './submission'

export type QueueOp = 'hold' | 'release' | 'freeze' | 'thaw' | 'retryNow'

const invalid = (env: Envelope, sentence: string): AppError => new AppError('INVALID_STATE', `${env.id}: ${sentence}`, { id: env.id })

function waiting(env: Envelope): EnvelopeRecipient[] {
  return env.recipients.filter((r) => !isFinal(r))
}

/** Recipients waiting to be tried become due now (nextAttemptAt cleared, per-recipient 'held' lifted). */
function dueNow(recipients: EnvelopeRecipient[]): EnvelopeRecipient[] {
  return recipients.map((r) => {
    if (isFinal(r)) return r
    const state = r.state === 'held' ? (r.attempts > 0 ? 'deferred' : 'pending') : r.state
    return { ...r, state, nextAttemptAt: null }
  })
}

function refuseFinished(env: Envelope): void {
  if (waiting(env).length === 0 && env.hold === null) throw invalid(env, 'it has already been delivered to every recipient it can be; nothing is waiting')
}

/** The envelope after the operation, at time `now`. Throws INVALID_STATE when the operation does not apply. */
export function applyOp(env: Envelope, op: QueueOp, now: number): Envelope {
  switch (op) {
    case 'hold':
      refuseFinished(env)
      if (env.hold?.kind === 'hold') throw invalid(env, 'it is already held; release it to send it')
      if (env.hold?.kind === 'freeze') throw invalid(env, 'it is frozen, which already stops delivery; thaw it to send it')
      return { ...env, hold: { kind: 'hold', by: 'user', reason: 'held by the user', at: now } }
    case 'freeze':
      refuseFinished(env)
      if (env.hold?.kind === 'freeze') throw invalid(env, 'it is already frozen; thaw it to send it')
      return { ...env, hold: { kind: 'freeze', by: 'user', reason: 'frozen by the user', at: now } }
    case 'release':
      if (env.hold?.kind === 'freeze') throw invalid(env, 'it is frozen; thaw it instead of releasing it')
      if (env.hold === null && !env.recipients.some((r) => r.state === 'held')) throw invalid(env, 'it is not held')
      return { ...env, hold: null, recipients: dueNow(env.recipients) }
    case 'thaw': {
      if (env.hold?.kind !== 'freeze') throw invalid(env, env.hold?.kind === 'hold' ? 'it is held, not frozen; release it instead' : 'it is not frozen')
      const frozenMs = env.frozenMs + Math.max(0, now - env.hold.at)
      // A bounce frozen by the system has only failed recipients: thawing tries them once more (as Exim does).
      const retryFailed = env.hold.by === 'system' && waiting(env).length === 0
      const recipients = retryFailed
        ? env.recipients.map((r) => (r.state === 'failed' ? { ...r, state: 'deferred' as const, nextAttemptAt: null } : r))
        : dueNow(env.recipients)
      return { ...env, hold: null, frozenMs, recipients }
    }
    case 'retryNow':
      if (env.hold !== null) throw invalid(env, env.hold.kind === 'freeze' ? 'it is frozen; thaw it first' : 'it is held; release it first')
      if (waiting(env).length === 0) throw invalid(env, 'no recipient is waiting for a retry')
      return { ...env, notBefore: null, recipients: dueNow(env.recipients) }
  }
}

/** Checks every address (INVALID_ADDRESS naming the first bad one) and drops duplicates. */
export function validRecipients(addresses: readonly string[]): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const raw of addresses) {
    const address = raw.trim()
    const check = checkAddress(address)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `"${raw}" is not a valid address: ${check.reason}`, { address: raw })
    const key = recipientKey(address)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(address)
  }
  return out
}

/**
 * Replaces the recipients of a held (or frozen) message: those already sent stay as they are (and are not sent
 * again even if listed), every other one is replaced by the new list, starting fresh.
 */
export function editRecipients(env: Envelope, addresses: readonly string[]): Envelope {
  if (env.hold === null) throw invalid(env, 'only a held message can have its recipients changed; hold it first')
  const wanted = validRecipients(addresses)
  if (wanted.length === 0) throw new AppError('NO_RECIPIENTS', 'Keep at least one recipient.')
  const sent = env.recipients.filter((r) => r.state === 'sent')
  const sentKeys = new Set(sent.map((r) => recipientKey(r.address)))
  const fresh = wanted.filter((a) => !sentKeys.has(recipientKey(a)))
  if (fresh.length === 0) throw new AppError('NO_RECIPIENTS', `${env.id}: every listed recipient has already received this message`, { id: env.id })
  const previous = new Map(env.recipients.map((r) => [recipientKey(r.address), r]))
  const recipients: EnvelopeRecipient[] = [
    ...sent,
    ...fresh.map((address): EnvelopeRecipient => {
      const before = previous.get(recipientKey(address))
      if (before !== undefined && !isFinal(before)) return before
      return { address, original: address, state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null, warned: false }
    })
  ]
  return { ...env, recipients }
}
