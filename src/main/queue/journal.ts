// spool/journal: an append-only summary index of the spool (derived data, never fsynced; the envelopes stay the truth).
// Every envelope write appends one line (journal-record.ts); readers replay it and cross-check it with the names in
// the state directories, reading an envelope only for what the journal does not know.
import { appendFile, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { OutboxMessage } from '../../shared/contract'
import type { Logger } from '../log/logger'
import { SPOOL_DIRS, newestCopy, toOutboxMessage, type Envelope, type SpoolDir } from './envelope'
import { isErrno } from '../fsutil/durable'
import { isQueueId } from './ids'
import { decodeLine, messageLine, recordLine, replay } from './journal-record'
import { idFromEnvelopeName } from './layout'

export { recordLine, removalLine, replay } from './journal-record'

export const JOURNAL_NAME = 'journal'
/** The runner compacts once the journal holds this many times the bytes its live records need... */
export const COMPACT_FACTOR = 4
/** ...and is at least this big (small journals are cheap to replay). */
export const COMPACT_MIN_BYTES = 256 * 1024

/** What a reader needs from the spool (the Spool class, or a test double). */
export interface JournalSource {
  readonly root: string
  readEnvelope(dir: SpoolDir, name: string): Promise<Envelope | null>
}

export function journalPath(root: string): string {
  return join(root, JOURNAL_NAME)
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return ''
    throw error
  }
}

/** Ids by the state directories their envelope file is in (names only; normally one directory). */
async function namesByDir(root: string): Promise<Map<string, SpoolDir[]>> {
  const dirsById = new Map<string, SpoolDir[]>()
  for (const dir of SPOOL_DIRS) {
    let names: string[]
    try {
      names = await readdir(join(root, dir))
    } catch (error) {
      if (isErrno(error, 'ENOENT')) continue
      throw error
    }
    for (const name of names) {
      const id = name.startsWith('.') ? null : idFromEnvelopeName(name)
      if (id === null || !isQueueId(id)) continue
      const dirs = dirsById.get(id)
      if (dirs === undefined) dirsById.set(id, [dir])
      else dirs.push(dir)
    }
  }
  return dirsById
}

/** One message of the spool as a reader sees it. */
export interface Summary {
  message: OutboxMessage
  /** The envelope seq the view is as of. */
  seq: number
  /** The journal line it came from, or null when it was read from its envelope (the journal lacked it). */
  line: string | null
}

/** Summaries decoded from the journal per batch without an await in between (an await per message costs more than its decoding). */
const BATCH = 512

/**
 * The outbox view of every message in queued/, deferred/ and hold/, in id (= time) order, a batch at a time: a
 * message whose journal record is missing, damaged, or names another directory than the one its file is in is read
 * from its envelope; a record whose message is in no directory is dropped. A change that stayed in the same directory
 * and whose line was lost (crash between the rename and the append) shows the previous state until the next write.
 */
export async function* readSummaryBatches(source: JournalSource): AsyncGenerator<Summary[]> {
  const [text, dirsById] = await Promise.all([readText(journalPath(source.root)), namesByDir(source.root)])
  const known = replay(text)
  const ids = [...dirsById.keys()].sort()
  let batch: Summary[] = []
  for (const id of ids) {
    if (batch.length >= BATCH) {
      yield batch
      batch = []
    }
    const dirs = dirsById.get(id) as SpoolDir[]
    const record = known.get(id)
    if (record !== undefined && dirs.length === 1 && dirs[0] === record.dir) {
      const message = decodeLine(record.line, id, record.dir)
      if (message !== null) {
        batch.push({ message, seq: record.seq, line: record.line })
        continue
      }
    }
    const copies: { state: SpoolDir; envelope: Envelope }[] = []
    for (const dir of dirs) {
      const envelope = await source.readEnvelope(dir, `${id}.json`)
      if (envelope !== null) copies.push({ state: dir, envelope })
    }
    const newest = newestCopy(copies)
    if (newest !== undefined) batch.push({ message: toOutboxMessage(newest.envelope, newest.state), seq: newest.envelope.seq, line: null })
  }
  if (batch.length > 0) yield batch
}

/** readSummaryBatches one summary at a time. */
export async function* readSummaries(source: JournalSource): AsyncGenerator<Summary> {
  for await (const batch of readSummaryBatches(source)) yield* batch
}

/** Appends and compacts the journal of one spool. Never throws: the journal is derived data. */
export class SpoolJournal {
  readonly path: string
  private warned = false
  private compacting: Promise<boolean> | null = null
  /** Bytes one record takes on average, as of the last compaction (a guess before the first). */
  private bytesPerRecord = 600

  constructor(private readonly source: JournalSource, private readonly log: Logger) {
    this.path = journalPath(source.root)
  }

  /** Appends lines with O_APPEND (one write: concurrent appenders in other processes never tear each other's lines). */
  async append(lines: string): Promise<void> {
    if (lines === '') return
    try {
      await appendFile(this.path, lines, { flag: 'a', mode: 0o600 })
    } catch (error) {
      if (!this.warned) this.log.warn('queue', `the outbox summary journal cannot be written (mailq falls back to reading envelopes): ${(error as Error).message}`)
      this.warned = true
    }
  }

  /** The outbox view of the whole spool; lines for what had to be read from envelopes are appended for next time. */
  async *summaryBatches(): AsyncGenerator<OutboxMessage[]> {
    for await (const batch of readSummaryBatches(this.source)) {
      await this.append(batch.filter((s) => s.line === null).map((s) => messageLine(s.message, s.seq)).join(''))
      yield batch.map((s) => s.message)
    }
  }

  /** Replaces the journal with exactly these messages (recovery, which has just read every envelope). */
  async rewrite(entries: Iterable<{ state: SpoolDir; envelope: Envelope }>): Promise<void> {
    const lines: string[] = []
    for (const { state, envelope } of entries) lines.push(recordLine(envelope, state))
    await this.replaceWith(lines.join(''))
  }

  /** Compacts when the journal has grown past COMPACT_FACTOR × what `live` messages need; true if it did. */
  async maybeCompact(live: number): Promise<boolean> {
    let size: number
    try {
      size = (await stat(this.path)).size
    } catch {
      return false
    }
    if (size < COMPACT_MIN_BYTES || size < COMPACT_FACTOR * live * this.bytesPerRecord) return false
    return this.compact()
  }

  /**
   * Rewrites the journal to one line per live message (tmp → rename). Lines another process appended to the old file
   * before the rename are carried over from the old file's tail; one appended in the instant between that read and
   * the appender's own write to the old file is lost, and the cross-check of the next reader catches it (new ids and
   * directory changes are read from their envelopes).
   */
  compact(): Promise<boolean> {
    this.compacting ??= this.doCompact().finally(() => {
      this.compacting = null
    })
    return this.compacting
  }

  private async doCompact(): Promise<boolean> {
    let old
    try {
      old = await open(this.path, 'r')
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) this.log.warn('queue', `journal compaction skipped: ${(error as Error).message}`)
      return false
    }
    try {
      const before = (await old.stat()).size
      const lines: string[] = []
      for await (const summary of readSummaries(this.source)) lines.push(summary.line === null ? messageLine(summary.message, summary.seq) : `${summary.line}\n`)
      const text = lines.join('')
      if (lines.length > 0) this.bytesPerRecord = Math.max(100, Math.round(Buffer.byteLength(text) / lines.length))
      await this.replaceWith(text)
      // Carry over what was appended to the old file meanwhile (its tail past what readSummaries could have seen).
      const tail = Buffer.alloc(Math.max(0, (await old.stat()).size - before))
      if (tail.length > 0) await old.read(tail, 0, tail.length, before)
      const complete = tail.toString('utf8')
      await this.append(complete.slice(0, complete.lastIndexOf('\n') + 1))
      return true
    } catch (error) {
      this.log.warn('queue', `journal compaction failed (the journal stays as it was): ${(error as Error).message}`)
      return false
    } finally {
      await old.close().catch(() => undefined)
    }
  }

  private async replaceWith(text: string): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      if (text === '') {
        await unlink(this.path).catch((error: unknown) => {
          if (!isErrno(error, 'ENOENT')) throw error
        })
        return
      }
      await writeFile(tmp, text, { mode: 0o600 })
      await rename(tmp, this.path)
    } catch (error) {
      await unlink(tmp).catch(() => undefined)
      this.log.warn('queue', `the outbox summary journal could not be rewritten: ${(error as Error).message}`)
    }
  }
}
