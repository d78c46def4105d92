// The durable store of Sent-copy jobs in spool/sent-copy/: <id> (the message, a hard link to the spool's data file,
// or a copy) and <id>.json (the job). Writes are tmp → fsync → rename → directory fsync. Never touches the queue.
//   sent-copy/<id>, <id>.json      a job waiting for its APPEND
//   sent-copy/.<id>….tmp          being written (removed at start-up)
//   sent-copy/failed/              jobs that gave up after 7 days, or unreadable job files: kept, never deleted
import { copyFile, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../fsutil/atomic-write'
import { fsyncDir, isErrno, unlinkIfExists } from '../fsutil/durable'
import { parseSentJob, serializeSentJob, type SentJob } from './job'

/** A data file without its job is a crash before the job was committed; the queue re-creates both, so wait this long. */
export const ORPHAN_GRACE_MS = 3600_000

export type ReadResult = { ok: true; job: SentJob } | { ok: false; id: string; error: string }

export class SentJobStore {
  readonly dir: string
  readonly failedDir: string
  private counter = 0

  constructor(spoolDir: string) {
    this.dir = join(spoolDir, 'sent-copy')
    this.failedDir = join(this.dir, 'failed')
  }

  dataPath(id: string): string {
    return join(this.dir, id)
  }

  jobPath(id: string): string {
    return join(this.dir, `${id}.json`)
  }

  async exists(id: string): Promise<boolean> {
    try {
      await stat(this.jobPath(id))
      return true
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false
      throw error
    }
  }

  /**
   * Records a job durably: the message (hard link of `sourceData`, or a fsynced copy when linking is not possible),
   * then the job file, then one directory fsync. When this resolves the queue may remove its own files.
   * Idempotent: a job that exists already is left as it is.
   */
  async add(job: SentJob, sourceData: string): Promise<'added' | 'exists'> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    if (await this.exists(job.id)) return 'exists'
    await this.placeData(job.id, sourceData)
    await this.writeJob(job)
    return 'added'
  }

  /** Rewrites a job (tmp → fsync → rename → directory fsync). */
  async update(job: SentJob): Promise<void> {
    await this.writeJob(job)
  }

  async readData(id: string): Promise<Buffer> {
    return readFile(this.dataPath(id))
  }

  /** The ids of all jobs, oldest first (queue ids sort by time). */
  async ids(): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return []
      throw error
    }
    return names.filter((n) => !n.startsWith('.') && n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).sort()
  }

  async read(id: string): Promise<ReadResult> {
    try {
      return { ok: true, job: parseSentJob(await readFile(this.jobPath(id))) }
    } catch (error) {
      return { ok: false, id, error: (error as Error).message }
    }
  }

  /** The job is done: its file first (the commit point), then the message. */
  async remove(id: string): Promise<void> {
    await unlinkIfExists(this.jobPath(id))
    await fsyncDir(this.dir)
    await unlinkIfExists(this.dataPath(id))
  }

  /** Moves a job's files into failed/ (gave up, or unreadable), never overwriting; returns where they went. */
  async setAside(id: string): Promise<string> {
    await mkdir(this.failedDir, { recursive: true, mode: 0o700 })
    const suffix = await this.freeSuffix(id)
    for (const [from, name] of [[this.jobPath(id), `${id}${suffix}.json`], [this.dataPath(id), `${id}${suffix}.eml`]] as const) {
      try {
        await rename(from, join(this.failedDir, name))
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error
      }
    }
    await fsyncDir(this.failedDir)
    await fsyncDir(this.dir)
    return join(this.failedDir, `${id}${suffix}.eml`)
  }

  /** Start-up: removes tmp files (one runner writes here at a time) and messages whose job never got written. */
  async recover(now: number): Promise<void> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return
      throw error
    }
    const jobs = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)))
    for (const name of names) {
      const path = join(this.dir, name)
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        await unlinkIfExists(path)
      } else if (/^[0-9A-Z]+$/.test(name) && !jobs.has(name)) {
        const info = await stat(path).catch(() => null)
        if (info !== null && now - info.mtimeMs > ORPHAN_GRACE_MS) await unlinkIfExists(path)
      }
    }
  }

  private async placeData(id: string, sourceData: string): Promise<void> {
    const target = this.dataPath(id)
    try {
      await link(sourceData, target)
      return
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return
      if (isErrno(error, 'ENOENT')) throw error
      // EXDEV, EPERM, ENOTSUP…: fall back to a copy, made durable before it gets its name.
    }
    const tmp = this.tmpPath(id)
    try {
      await copyFile(sourceData, tmp)
      await writeFsync(tmp)
      await rename(tmp, target)
    } catch (error) {
      await unlink(tmp).catch(() => undefined)
      throw error
    }
  }

  private async writeJob(job: SentJob): Promise<void> {
    await writeFileAtomic(this.jobPath(job.id), serializeSentJob(job))
  }

  private tmpPath(id: string): string {
    this.counter += 1
    return join(this.dir, `.${id}.${process.pid}.${this.counter}.tmp`)
  }

  private async freeSuffix(id: string): Promise<string> {
    for (let n = 0; ; n++) {
      const suffix = n === 0 ? '' : `.${n}`
      const taken = await stat(join(this.failedDir, `${id}${suffix}.json`)).then(() => true, () => false)
      if (!taken) return suffix
    }
  }
}

/** fsyncs an existing file. */
async function writeFsync(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
