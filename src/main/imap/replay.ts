// Replays the outbox of offline operations to the server in order (seq). The server's state wins: a flag change
// is sent with UNCHANGEDSINCE the modseq the cache knew (CONDSTORE), so a message changed on the server meanwhile
// keeps the server's flags; an operation on messages that are gone is dropped; the caller re-syncs flags afterwards.
import type { ImapFlow } from 'imapflow'
import type { DeleteArgs, FlagsArgs, MoveArgs, OpsOutbox, PendingOp } from '../cache/ops'
import type { Logger } from '../log/logger'
import { uidSet } from './sync'

export interface ReplayResult {
  applied: number
  dropped: number
  failed: number
  /** Folders touched: the caller re-syncs them (server state wins). */
  folders: Set<string>
}

/** Errors that mean "try again when the connection is back" rather than "the server refused". */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string }
  return ['NoConnection', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT'].includes(e.code ?? '') ||
    /connection (not available|closed)|socket/i.test(e.message ?? '')
}

/** The UIDs of `uids` that still exist in the selected mailbox. */
async function existing(client: ImapFlow, uids: readonly number[]): Promise<number[]> {
  if (uids.length === 0) return []
  const found = await client.search({ uid: uidSet(uids) }, { uid: true })
  return found === false || found === undefined ? [] : found
}

async function applyFlags(client: ImapFlow, args: FlagsArgs, live: number[], touched: Set<string>, folder: string): Promise<void> {
  // Group by the modseq the cache knew; a message already changed by an earlier replayed op has no guard.
  const groups = new Map<string, number[]>()
  for (const uid of live) {
    const key = touched.has(`${folder}/${uid}`) ? '' : (args.modseqs?.[String(uid)] ?? '')
    groups.set(key, [...(groups.get(key) ?? []), uid])
  }
  for (const [modseq, uids] of groups) {
    const guard = modseq === '' ? {} : { unchangedSince: BigInt(modseq) }
    if (args.add.length > 0) await client.messageFlagsAdd(uidSet(uids), args.add, { uid: true, ...guard })
    // After an add the message's modseq moved on: the remove of the same op is ours too.
    if (args.remove.length > 0) await client.messageFlagsRemove(uidSet(uids), args.remove, { uid: true, ...(args.add.length > 0 ? {} : guard) })
    for (const uid of uids) touched.add(`${folder}/${uid}`)
  }
}

async function applyOne(client: ImapFlow, op: PendingOp, touched: Set<string>): Promise<'applied' | 'dropped'> {
  const lock = await client.getMailboxLock(op.folder)
  try {
    const live = await existing(client, op.args.uids)
    if (live.length === 0) return 'dropped'
    if (op.kind === 'flags') await applyFlags(client, op.args as FlagsArgs, live, touched, op.folder)
    else if (op.kind === 'move') {
      const moved = await client.messageMove(uidSet(live), (op.args as MoveArgs).target, { uid: true })
      if (moved === false) throw new Error(`the server refused to move messages to ${(op.args as MoveArgs).target}`)
    } else {
      void (op.args as DeleteArgs)
      await client.messageDelete(uidSet(live), { uid: true })
    }
    return 'applied'
  } finally {
    lock.release()
  }
}

/**
 * Applies every pending op in order. A connection error stops the replay (the rest waits, in order, for the next
 * connection); a refusal by the server parks that op as failed and goes on.
 */
export async function replayOps(client: ImapFlow, outbox: OpsOutbox, log: Logger, accountId: string): Promise<ReplayResult> {
  const result: ReplayResult = { applied: 0, dropped: 0, failed: 0, folders: new Set() }
  const touched = new Set<string>()
  for (const op of outbox.pending()) {
    result.folders.add(op.folder)
    if (op.kind === 'move') result.folders.add((op.args as MoveArgs).target)
    try {
      const outcome = await applyOne(client, op, touched)
      outbox.finish(op.seq)
      if (outcome === 'applied') result.applied += 1
      else {
        result.dropped += 1
        log.info('imap', `${accountId}: ${op.kind} #${op.seq} in ${op.folder} dropped: the messages are gone on the server`)
      }
    } catch (error) {
      if (isConnectionError(error) || !client.usable) {
        outbox.retryLater(op.seq, (error as Error).message)
        throw error
      }
      outbox.fail(op.seq, (error as Error).message)
      result.failed += 1
      log.warn('imap', `${accountId}: ${op.kind} #${op.seq} in ${op.folder} refused by the server: ${(error as Error).message}`)
    }
  }
  return result
}
