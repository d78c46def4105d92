// Back-pressure: queue.maxMessages, queue.maxBytes, queue.minFreeDisk, and where the queue's usage comes from.
// The runner process keeps exact counters and writes spool/usage.json; other processes (the CLI) read that snapshot
// instead of scanning 100k files per submission. Refusing never touches anything already queued.
import { readdir, readFile, rename, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../shared/result'
import { SPOOL_DIRS } from './envelope'
import { isErrno } from '../fsutil/durable'
import { idFromEnvelopeName, type SpoolLayout } from './layout'

/** The snapshot file the runner writes (advisory: a lost or stale one only makes the limits approximate). */
export const USAGE_FILE = 'usage.json'

export interface QueueLimits {
  maxMessages: number
  maxBytes: number
  minFreeDisk: number
}

/** Messages in queued/, deferred/ and hold/, and the sum of their data sizes (null: unknown, not checked). */
export interface QueueUsage {
  messages: number
  bytes: number | null
}

export type UsageSource = () => Promise<QueueUsage>

/** The limits from config.queue (sizes already parsed to bytes). */
export function queueLimitsFromSettings(q: QueueLimits): QueueLimits {
  return { maxMessages: q.maxMessages, maxBytes: q.maxBytes, minFreeDisk: q.minFreeDisk }
}

/** Exact counters of the process that owns the queue (start-up scan, then every enqueue and removal). */
export class UsageCounter {
  constructor(public messages = 0, public bytes = 0) {}
  add(size: number): void {
    this.messages += 1
    this.bytes += size
  }
  remove(size: number): void {
    this.messages = Math.max(0, this.messages - 1)
    this.bytes = Math.max(0, this.bytes - size)
  }
  snapshot(): QueueUsage {
    return { messages: this.messages, bytes: this.bytes }
  }
}

/** Free bytes for an unprivileged writer on the file system of `dir` (null where statfs is unavailable). */
export async function freeDiskBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir)
    return Number(s.bavail) * Number(s.bsize)
  } catch {
    return null
  }
}

const mib = (n: number): string => `${Math.round(n / (1024 * 1024))} MiB`

/**
 * The limit a new message of `incoming` bytes would break, as {limit, sentence}, or null when it fits.
 * incoming = 0 asks "is the queue refusing right now" (status()). `onlyDisk`: check minFreeDisk only.
 */
export function limitBroken(limits: QueueLimits, usage: QueueUsage, freeDisk: number | null, incoming: number, onlyDisk = false): { limit: string; sentence: string } | null {
  if (!onlyDisk && usage.messages + 1 > limits.maxMessages) {
    return { limit: 'queue.maxMessages', sentence: `${usage.messages} messages (queue.maxMessages is ${limits.maxMessages})` }
  }
  if (!onlyDisk && usage.bytes !== null && usage.bytes + incoming > limits.maxBytes) {
    return { limit: 'queue.maxBytes', sentence: `${mib(usage.bytes)} of messages${incoming > 0 ? ` plus this one (${mib(incoming)})` : ''} (queue.maxBytes is ${mib(limits.maxBytes)})` }
  }
  if (freeDisk !== null && freeDisk - incoming < limits.minFreeDisk) {
    return { limit: 'queue.minFreeDisk', sentence: `only ${mib(freeDisk)} free on the disk (queue.minFreeDisk is ${mib(limits.minFreeDisk)})` }
  }
  return null
}

export function queueFullError(broken: { limit: string; sentence: string }): AppError {
  return new AppError('QUEUE_FULL', `The outbox is full: ${broken.sentence}. Nothing was queued; try again later.`, { limit: broken.limit })
}

/**
 * Throws QUEUE_FULL when a message of `incoming` bytes may not be queued now. `onlyDisk` is for the queue's own
 * notices: a failed message leaves the queue only once its notice is queued, so a full queue must still take them.
 */
export async function checkLimits(limits: QueueLimits, usage: UsageSource, dir: string, incoming: number, onlyDisk = false): Promise<void> {
  const [current, free] = await Promise.all([onlyDisk ? { messages: 0, bytes: 0 } : usage(), freeDiskBytes(dir)])
  const broken = limitBroken(limits, current, free, incoming, onlyDisk)
  if (broken !== null) throw queueFullError(broken)
}

/** Writes spool/usage.json atomically (tmp + rename; no fsync: a stale snapshot is harmless). */
export async function writeUsageSnapshot(layout: SpoolLayout, usage: QueueUsage, at: number): Promise<void> {
  const tmp = join(layout.tmp, `usage-${process.pid}.json`)
  await writeFile(tmp, JSON.stringify({ messages: usage.messages, bytes: usage.bytes, at }) + '\n', { mode: 0o600 })
  await rename(tmp, join(layout.root, USAGE_FILE))
}

export async function readUsageSnapshot(layout: SpoolLayout): Promise<QueueUsage | null> {
  try {
    const raw = JSON.parse(await readFile(join(layout.root, USAGE_FILE), 'utf8')) as { messages?: unknown; bytes?: unknown }
    if (typeof raw.messages !== 'number' || !(typeof raw.bytes === 'number' || raw.bytes === null)) return null
    return { messages: raw.messages, bytes: raw.bytes }
  } catch (error) {
    if (isErrno(error, 'ENOENT') || error instanceof SyntaxError) return null
    throw error
  }
}

/** Counts envelope names (no parsing); bytes are unknown this way. */
export async function countEnvelopeNames(layout: SpoolLayout): Promise<QueueUsage> {
  const ids = new Set<string>()
  for (const dir of SPOOL_DIRS) {
    for (const name of await readdir(layout.dir(dir))) {
      const id = idFromEnvelopeName(name)
      if (id !== null && !name.startsWith('.')) ids.add(id)
    }
  }
  return { messages: ids.size, bytes: null }
}

/** The usage source of a process that does not own the queue: the runner's snapshot, else a count of names. */
export function snapshotUsage(layout: SpoolLayout): UsageSource {
  return async () => (await readUsageSnapshot(layout)) ?? (await countEnvelopeNames(layout))
}
