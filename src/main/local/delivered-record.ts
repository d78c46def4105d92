// Which targets of a (message, recipient) were already delivered in an earlier attempt, so a retry after a deferral does not duplicate them.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../fsutil/atomic-write'

/** Records older than this are removed (their message left the queue long ago: queue.lifetime is days, not months). */
export const DELIVERED_RECORD_MAX_AGE_MS = 60 * 86_400_000

export interface DeliveredRecords {
  /** The target keys already delivered for this recipient of this message (empty when none or no record). */
  load(queueId: string, recipient: string): Promise<Set<string>>
  /** Replaces the record durably (tmp → fsync → rename → fsync dir). */
  save(queueId: string, recipient: string, keys: ReadonlySet<string>): Promise<void>
  /** Removes the record (the recipient is final: sent or failed). */
  remove(queueId: string, recipient: string): Promise<void>
}

/** Kept in memory only (no state directory, e.g. unit tests of the router): a restart forgets it. */
export function memoryDeliveredRecords(): DeliveredRecords {
  const records = new Map<string, Set<string>>()
  const key = (queueId: string, recipient: string): string => `${queueId} ${recipient}`
  return {
    async load(queueId, recipient) { return new Set(records.get(key(queueId, recipient)) ?? []) },
    async save(queueId, recipient, keys) { records.set(key(queueId, recipient), new Set(keys)) },
    async remove(queueId, recipient) { records.delete(key(queueId, recipient)) }
  }
}

/** One small JSON file per (message, recipient) in `dir`: `<queueId>.<hash of recipient>.json` ({recipient, delivered: [keys]}). */
export function fileDeliveredRecords(dir: string, now: () => number = Date.now): DeliveredRecords {
  let prepared: Promise<void> | null = null
  const fileOf = (queueId: string, recipient: string): string =>
    join(dir, `${queueId.replace(/[^0-9A-Za-z_-]/g, '_')}.${createHash('sha256').update(recipient).digest('hex').slice(0, 16)}.json`)

  /** Creates the directory and sweeps records of messages long gone; once per process. */
  const prepare = (): Promise<void> => {
    prepared ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      for (const name of await readdir(dir)) {
        const path = join(dir, name)
        const info = await stat(path).catch(() => null)
        if (info !== null && now() - info.mtimeMs > DELIVERED_RECORD_MAX_AGE_MS) await unlink(path).catch(() => undefined)
      }
    })()
    prepared.catch(() => { prepared = null })
    return prepared
  }

  return {
    async load(queueId, recipient) {
      try {
        const parsed = JSON.parse(await readFile(fileOf(queueId, recipient), 'utf8')) as { recipient?: unknown; delivered?: unknown }
        if (parsed.recipient !== recipient || !Array.isArray(parsed.delivered)) return new Set()
        return new Set(parsed.delivered.filter((key): key is string => typeof key === 'string'))
      } catch {
        return new Set()
      }
    },
    async save(queueId, recipient, keys) {
      await prepare()
      await writeFileAtomic(fileOf(queueId, recipient), JSON.stringify({ recipient, delivered: [...keys] }) + '\n')
    },
    async remove(queueId, recipient) {
      await unlink(fileOf(queueId, recipient)).catch(() => undefined)
    }
  }
}
