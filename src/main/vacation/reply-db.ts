// The out-of-office reply database of one user (MAILROOM_HOME/var/vacation/<user>.json): who got a reply when.
// Keyed on the lower-cased sender, pruned by age (and to maxEntries, newest kept), written atomically, and locked
// with a <file>.lock created exclusively so two deliveries at once cannot both answer the same sender.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../shared/result'
import type { Paths } from '../config/paths'
import { VACATION_DB_LOCK_STALE_MS, VACATION_DB_LOCK_WAIT_MS } from '../config/timeouts'
import { acquireDotLock, releaseDotLock } from '../fsutil/dot-lock'
import { writeFileAtomic } from '../fsutil/atomic-write'
import type { ReplyHistory } from './decide'

/** At least 1,000 senders must fit (issue 6); this many are kept when none has aged out. */
export const DEFAULT_MAX_ENTRIES = 10_000
const LOCK_POLL_MS = 25

export interface ReplyDbOptions {
  now?: () => number
  maxEntries?: number
  lockWaitMs?: number
  staleLockMs?: number
}

interface StoredDb {
  version: 1
  /** lower-cased sender -> time of the last reply (ms since the epoch) */
  replies: Record<string, number>
}

export function replyDbPath(paths: Pick<Paths, 'home'>, user: string): string {
  return join(paths.home, 'var', 'vacation', `${user}.json`)
}

export class ReplyDb implements ReplyHistory {
  private dirty = false
  constructor(private readonly replies: Map<string, number>, readonly warnings: string[]) {}

  get size(): number {
    return this.replies.size
  }

  lastReplyAt(senderKey: string): number | undefined {
    return this.replies.get(senderKey.toLowerCase())
  }

  record(sender: string, at: number): void {
    const key = sender.toLowerCase()
    this.replies.delete(key)
    this.replies.set(key, at)
    this.dirty = true
  }

  get changed(): boolean {
    return this.dirty
  }

  /** Drops entries older than maxAgeMs, then the oldest beyond maxEntries; returns how many were dropped. */
  prune(now: number, maxAgeMs: number, maxEntries: number): number {
    const before = this.replies.size
    for (const [key, at] of this.replies) if (now - at >= maxAgeMs) this.replies.delete(key)
    if (this.replies.size > maxEntries) {
      const newestFirst = [...this.replies].sort((a, b) => b[1] - a[1]).slice(0, maxEntries)
      this.replies.clear()
      for (const [key, at] of newestFirst.reverse()) this.replies.set(key, at)
    }
    const dropped = before - this.replies.size
    if (dropped > 0) this.dirty = true
    return dropped
  }

  serialize(): string {
    const stored: StoredDb = { version: 1, replies: Object.fromEntries(this.replies) }
    return JSON.stringify(stored) + '\n'
  }
}

/** Reads the database; a damaged file is reported in `warnings` and read as empty (the worst outcome is one extra reply). */
export async function readReplyDb(file: string): Promise<ReplyDb> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new ReplyDb(new Map(), [])
    throw error
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredDb>
    if (parsed.version !== 1 || typeof parsed.replies !== 'object' || parsed.replies === null) throw new Error('not a reply database (version 1)')
    const replies = new Map<string, number>()
    for (const [key, at] of Object.entries(parsed.replies)) if (typeof at === 'number' && Number.isFinite(at)) replies.set(key.toLowerCase(), at)
    return new ReplyDb(replies, [])
  } catch (error) {
    return new ReplyDb(new Map(), [`${file} is damaged and was read as empty: ${(error as Error).message}`])
  }
}

/** Takes `<file>.lock` (src/main/fsutil/dot-lock.ts); VACATION_DB_BUSY when another delivery holds it too long. */
async function acquireLock(lockFile: string, waitMs: number, staleMs: number): Promise<void> {
  const taken = await acquireDotLock(lockFile, { waitMs, staleMs, retryMs: LOCK_POLL_MS, createDir: true })
  if (taken === 'busy') throw new AppError('VACATION_DB_BUSY', `the reply database is locked by another delivery (${lockFile}); try again later`, { lockFile })
}

/**
 * Runs `fn` with the database locked and loaded. When `fn` returns normally and changed it, the database is pruned
 * (entries older than maxAgeMs; the oldest beyond maxEntries) and written atomically before the lock is released.
 */
export async function withReplyDb<T>(file: string, maxAgeMs: number, fn: (db: ReplyDb) => Promise<T> | T, options: ReplyDbOptions = {}): Promise<T> {
  const now = options.now ?? Date.now
  const lockFile = `${file}.lock`
  await acquireLock(lockFile, options.lockWaitMs ?? VACATION_DB_LOCK_WAIT_MS, options.staleLockMs ?? VACATION_DB_LOCK_STALE_MS)
  try {
    const db = await readReplyDb(file)
    const result = await fn(db)
    db.prune(now(), maxAgeMs, options.maxEntries ?? DEFAULT_MAX_ENTRIES)
    if (db.changed) await writeFileAtomic(file, db.serialize(), { createDir: 0o700 })
    return result
  } finally {
    await releaseDotLock(lockFile)
  }
}
