// Taking a message out of the queue on the user's word: delete (optionally telling the sender) and undo send.
// Both hold the message's claim, so they never remove a message this process is delivering at that moment.
import { AppError } from '../../shared/result'
import type { MessageClaims } from './claims'
import { isFinal, type Envelope } from './envelope'
import { sendNotice, type NoticeDeps } from './notices'

export interface RemovalDeps extends NoticeDeps {
  claims: MessageClaims
  /** The error for a message that is not in the spool (NOT_FOUND, or INVALID_STATE when it just finished). */
  gone: (id: string) => AppError
}

async function withMessage(deps: RemovalDeps, id: string, fn: (env: Envelope) => Promise<void>): Promise<void> {
  const release = await deps.claims.claim(id, 'op') // waits for a delivery of this message to end
  try {
    const entry = await deps.spool.locate(id)
    if (entry === null) throw deps.gone(id)
    await fn(entry.envelope)
  } finally {
    release()
  }
}

/** Deletes a message; with notifySender (and a sender that is not <>) a 'deleted' notice for the waiting recipients first. */
export function removeMessage(deps: RemovalDeps, id: string, notifySender: boolean): Promise<void> {
  return withMessage(deps, id, async (env) => {
    const waiting = env.recipients.filter((r) => !isFinal(r))
    if (notifySender && env.sender !== '' && waiting.length > 0) {
      await sendNotice(deps, 'deleted', env, waiting.map((r) => ({ address: r.address, original: r.original, reply: r.lastReply, attempts: r.attempts })))
    }
    await deps.spool.complete(id, env.size)
    deps.log.info('queue', `${id}: deleted by the user${notifySender ? ' (sender notified)' : ''}`)
  })
}

/** Undo send: only while the not-before time is in the future, nothing was attempted, and no delivery is running. */
export function undoMessage(deps: RemovalDeps, id: string): Promise<void> {
  const tooLate = (what: string): AppError => new AppError('INVALID_STATE', `${id}: it ${what} and can no longer be undone`, { id })
  if (deps.claims.ownerOf(id) === 'runner') return Promise.reject(tooLate('is already being sent'))
  return withMessage(deps, id, async (env) => {
    if (env.recipients.some((r) => r.attempts > 0 || isFinal(r))) throw tooLate('has already been sent')
    if (env.notBefore === null || env.notBefore <= deps.clock.now()) throw tooLate('is already being sent')
    await deps.spool.complete(id, env.size)
    deps.log.info('queue', `${id}: sending undone by the user`)
  })
}
