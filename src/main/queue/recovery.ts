// Start-up recovery of the spool: clear dead writers' tmp files, set aside what does not parse, resolve duplicates, drop old orphans.
// It must never throw over one bad file and never delete an envelope or data file another process may still be committing.
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import { SPOOL_DIRS, newestCopy, type Envelope, type SpoolDir } from './envelope'
import { parseEnvelope } from './envelope-schema'
import { isErrno, unlinkIfExists } from '../fsutil/durable'
import { isQueueId } from './ids'
import { isProcessAlive } from '../fsutil/dot-lock'
import { CORRUPT_DATA_SUFFIX, idFromEnvelopeName, moveToCorrupt, tmpOwnerPid, type SpoolLayout } from './layout'

/** Data files without an envelope younger than this may belong to an enqueue in progress in another process. */
export const ORPHAN_GRACE_MS = 3600_000

export interface RecoveryReport {
  envelopes: number
  tmpRemoved: number
  corrupt: number
  duplicatesRemoved: number
  orphansRemoved: number
  /** Sum of the data sizes of the messages kept (for the back-pressure counters). */
  bytes: number
  /** Ids whose newest copy is in queued/ (consumed by the spool's usage counter, then cleared). */
  queuedIds: string[]
  /** The copy kept of every message (consumed by the spool to rebuild its journal, then cleared). */
  kept: Copy[]
}

export interface Copy {
  state: SpoolDir
  envelope: Envelope
}

const COMPONENT = 'queue'
export { newestCopy } from './envelope'

async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith('.'))
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return []
    throw error
  }
}

async function mtimeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
}

export interface RecoveryOptions {
  clock: Clock
  log: Logger
  orphanGraceMs?: number
}

export async function recoverSpool(layout: SpoolLayout, options: RecoveryOptions): Promise<RecoveryReport> {
  const { clock, log } = options
  const grace = options.orphanGraceMs ?? ORPHAN_GRACE_MS
  const report: RecoveryReport = { envelopes: 0, tmpRemoved: 0, corrupt: 0, duplicatesRemoved: 0, orphansRemoved: 0, bytes: 0, queuedIds: [], kept: [] }
  const now = clock.now()

  const quietly = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn()
    } catch (error) {
      log.error(COMPONENT, `recovery: ${what}: ${(error as Error).message}`)
    }
  }

  // 1. tmp/: whatever a dead (or long-stalled) writer left behind. A live process's fresh file is its enqueue in progress.
  for (const name of await listNames(layout.tmp)) {
    await quietly(`tmp/${name}`, async () => {
      const path = join(layout.tmp, name)
      const mtime = await mtimeOf(path)
      if (mtime === null) return
      const pid = tmpOwnerPid(name)
      const writerAlive = pid !== null && isProcessAlive(pid)
      if (writerAlive && now - mtime < grace) return
      if (await unlinkIfExists(path)) report.tmpRemoved += 1
    })
  }

  // 2. Envelopes: parse every copy; unreadable ones go to corrupt/ (their data follows once no good copy remains).
  const copies = new Map<string, Copy[]>()
  const unreadable = new Set<string>()
  for (const dir of SPOOL_DIRS) {
    for (const name of await listNames(layout.dir(dir))) {
      await quietly(`${dir}/${name}`, async () => {
        const id = idFromEnvelopeName(name)
        const path = join(layout.dir(dir), name)
        let reason: string
        if (id === null || !isQueueId(id)) {
          reason = 'the file name is not <queue id>.json'
        } else {
          let bytes: Buffer
          try {
            bytes = await readFile(path)
          } catch (error) {
            if (isErrno(error, 'ENOENT')) return // delivered or moved meanwhile by the runner
            throw error
          }
          try {
            const envelope = parseEnvelope(bytes)
            if (envelope.id !== id) throw new Error(`the envelope says id ${envelope.id}`)
            copies.set(id, [...(copies.get(id) ?? []), { state: dir, envelope }])
            return
          } catch (error) {
            reason = (error as Error).message
          }
        }
        const moved = await moveToCorrupt(layout, path, name)
        if (moved === null) return
        report.corrupt += 1
        if (id !== null && isQueueId(id)) unreadable.add(id)
        log.warn(COMPONENT, `${id ?? name}: unreadable envelope ${dir}/${name} moved to corrupt/${moved}: ${reason}`)
      })
    }
  }

  // 3. Several copies of one message (a crash during a move between directories): the highest seq is the truth.
  for (const [id, found] of copies) {
    await quietly(id, async () => {
      const keep = newestCopy(found) as Copy
      for (const copy of found) {
        if (copy === keep) continue
        if (await unlinkIfExists(layout.envelopePath(copy.state, id))) report.duplicatesRemoved += 1
        log.info(COMPONENT, `${id}: removed older copy ${copy.state}/${id}.json (seq ${copy.envelope.seq}, kept ${keep.state} seq ${keep.envelope.seq})`)
      }
      if ((await mtimeOf(layout.dataPath(id))) === null) {
        copies.delete(id)
        const moved = await moveToCorrupt(layout, layout.envelopePath(keep.state, id), `${id}.json`)
        if (moved === null) return
        report.corrupt += 1
        log.warn(COMPONENT, `${id}: data file missing; envelope moved to corrupt/${moved}`)
        return
      }
      report.envelopes += 1
      report.bytes += keep.envelope.size
      report.kept.push(keep)
      if (keep.state === 'queued') report.queuedIds.push(id)
    })
  }

  // 4. Data of unreadable envelopes with no good copy goes with them, named <id>.data.
  for (const id of unreadable) {
    if (copies.has(id)) continue
    await quietly(id, async () => {
      const moved = await moveToCorrupt(layout, layout.dataPath(id), `${id}${CORRUPT_DATA_SUFFIX}`)
      if (moved !== null) log.warn(COMPONENT, `${id}: data file moved to corrupt/${moved} with its unreadable envelope`)
    })
  }

  // 5. Data without an envelope: an enqueue that died before its commit point. Old ones go; young ones may be in flight.
  for (const name of await listNames(layout.data)) {
    if (copies.has(name) || unreadable.has(name)) continue
    await quietly(`data/${name}`, async () => {
      const path = layout.dataPath(name)
      const mtime = await mtimeOf(path)
      if (mtime === null || now - mtime <= grace) return
      for (const dir of SPOOL_DIRS) {
        if ((await mtimeOf(layout.envelopePath(dir, name))) !== null) return // committed after our scan
      }
      if (await unlinkIfExists(path)) {
        report.orphansRemoved += 1
        log.info(COMPONENT, `${name}: removed data file without envelope (older than ${Math.round(grace / 60_000)} min)`)
      }
    })
  }

  return report
}
