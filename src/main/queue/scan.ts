// The runner's scan for due work: lists names, skips not-yet-due deferred files by their mtime (the next wake time,
// see stampNextWake in spool.ts), parses the rest a few at a time, and keeps only ids of due messages (bounded).
// Memory is O(due messages), never O(queue).
import { stat } from 'node:fs/promises'
import { allFinal, type SpoolDir } from './envelope'
import { isErrno } from '../fsutil/durable'
import { idFromEnvelopeName } from './layout'
import { dueRecipients, earlier, nextWakeAt } from './outcomes'
import type { Spool } from './spool'

/** Envelopes read or stat'ed at once during a scan. */
const SCAN_PARALLEL = 16
/** Due messages kept per scan; the runner scans again when this many were found (the "active set" bound). */
export const MAX_DUE_PER_SCAN = 1000

export interface DueScan {
  /** Ids of messages to process now, oldest first (dedup'ed). */
  due: string[]
  /** Earliest future time something not in `due` needs the runner (null: nothing waits for a time). */
  nextWakeAt: number | null
  /** More due messages exist than `limit`. */
  truncated: boolean
  /** Messages in queued/ + deferred/ + hold/ by name (exact at the time of the scan; queued/ only in a light scan). */
  messages: number
}

export interface ScanOptions {
  now: number
  /** Ignore retry times (and the mtime shortcut); not-before times still count. */
  force: boolean
  limit?: number
  /** Ids already handled in this run. */
  skip?: ReadonlySet<string>
  /** Ids that need the runner whatever their envelope says (outcomes not yet recorded). */
  always?: ReadonlySet<string>
  /** Scan deferred/ too (default true); false: only queued/ (new mail), and the message count is left alone. */
  deferred?: boolean
}

async function mtimeOf(path: string): Promise<number | null> {
  try {
    return Math.round((await stat(path)).mtimeMs)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
}

export async function scanDue(spool: Spool, options: ScanOptions): Promise<DueScan> {
  const { now, force } = options
  const limit = options.limit ?? MAX_DUE_PER_SCAN
  const result: DueScan = { due: [], nextWakeAt: null, truncated: false, messages: 0 }
  const names: { dir: SpoolDir; name: string; id: string }[] = []
  const all = new Set<string>()
  const full = options.deferred !== false
  for (const dir of full ? (['queued', 'deferred', 'hold'] as const) : (['queued'] as const)) {
    for (const name of await spool.names(dir)) {
      const id = idFromEnvelopeName(name) as string
      all.add(id)
      if (dir !== 'hold') names.push({ dir, name, id })
    }
  }
  result.messages = all.size
  if (spool.usage !== null && full) spool.usage.messages = all.size
  keepUsageExact(spool, names)
  names.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const seen = new Set<string>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < names.length && !result.truncated) {
      const { dir, name, id } = names[next++] as (typeof names)[number]
      if (options.skip?.has(id) || seen.has(id)) continue
      if (options.always?.has(id)) {
        add(id)
        continue
      }
      if (!force && dir === 'deferred') {
        const mtime = await mtimeOf(spool.layout.envelopePath(dir, id))
        if (mtime === null) continue
        if (mtime > now) {
          result.nextWakeAt = earlier(result.nextWakeAt, mtime)
          continue
        }
      }
      const envelope = await spool.readEnvelope(dir, name)
      if (envelope === null) continue
      if (dir === 'queued' && envelope.seq === 0) countOnce(spool, id, envelope.size)
      if (allFinal(envelope) || dueRecipients(envelope, now, force).length > 0) add(id)
      else result.nextWakeAt = earlier(result.nextWakeAt, nextWakeAt(envelope))
    }
  }
  const add = (id: string): void => {
    if (seen.has(id)) return
    if (result.due.length >= limit) {
      result.truncated = true
      return
    }
    seen.add(id)
    result.due.push(id)
  }
  await Promise.all(Array.from({ length: Math.min(SCAN_PARALLEL, Math.max(1, names.length)) }, worker))
  result.due.sort()
  return result
}

/** Counts the size of mail queued by another process (the CLI) once, and forgets ids that left queued/. */
function countOnce(spool: Spool, id: string, size: number): void {
  if (spool.usage === null || spool.countedQueued.has(id)) return
  spool.countedQueued.add(id)
  spool.usage.bytes += size
}

function keepUsageExact(spool: Spool, names: readonly { dir: SpoolDir; id: string }[]): void {
  if (spool.usage === null) return
  const queued = new Set(names.filter((n) => n.dir === 'queued').map((n) => n.id))
  for (const id of spool.countedQueued) if (!queued.has(id)) spool.countedQueued.delete(id)
}
