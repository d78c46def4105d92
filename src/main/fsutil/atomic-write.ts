// Atomic replacement of a whole file for every store outside the spool: a reader sees the old or the new content, never half.
// Steps: <dir>/.<name>.<pid>.<random>.tmp (exclusive) → write → fsync → [hook] → [keep <file>.bak] → rename over → fsync the directory.
import { randomBytes } from 'node:crypto'
import { copyFile, link, mkdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fsyncDir, isErrno, writeFileDurable } from './durable'

export const BACKUP_SUFFIX = '.bak'

export interface AtomicWriteOptions {
  /** Mode of the new file; default 0600. Given to open(2), so the umask applies unless `exactMode`. */
  mode?: number
  /** Give the new file exactly `mode` whatever the umask (e.g. to keep the mode of the file it replaces). */
  exactMode?: boolean
  /** Keep the previous version (when there is one) as <path>.bak: a hard link, or a copy where links are not allowed. */
  backup?: boolean
  /** Fsync the directory after the rename so the new name survives a crash: true (default, errors thrown), 'best-effort' (errors ignored), false. */
  fsyncDir?: boolean | 'best-effort'
  /** Create the directory first (recursive): true, or the mode of the directories created. Default: it must exist. */
  createDir?: boolean | number
  /** Runs on the written and fsynced tmp file just before it replaces `path` (chown, a last conflict check); a throw aborts, leaving `path` as it was. */
  beforeReplace?: (tmp: string) => Promise<void>
}

export interface AtomicWriteResult {
  /** Where the previous version was kept, or null (no `backup` asked, or no previous file). */
  backup: string | null
}

/** Hidden, unique, ending in .tmp: directory listings that skip dot files or sweep *.tmp leave it alone or clean it up. */
function tmpNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/** Keeps the current `path` as <path>.bak (staged under a tmp name, then renamed, so the .bak is never half a file); null when `path` does not exist. */
async function keepBackup(path: string): Promise<string | null> {
  const backup = path + BACKUP_SUFFIX
  const staging = tmpNameFor(backup)
  try {
    try {
      await link(path, staging)
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null
      await copyFile(path, staging)
    }
    await rename(staging, backup)
    return backup
  } catch (error) {
    await unlink(staging).catch(() => undefined)
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
}

/**
 * Replaces `path` with `data` atomically and durably. On any failure before the rename the tmp file is removed and `path`
 * is unchanged; the error is thrown as it came (callers map it to their own error code).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const dir = dirname(path)
  if (options.createDir !== undefined && options.createDir !== false) {
    await mkdir(dir, options.createDir === true ? { recursive: true } : { recursive: true, mode: options.createDir })
  }
  const tmp = tmpNameFor(path)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  await writeFileDurable(tmp, bytes, { mode: options.mode ?? 0o600, exact: options.exactMode === true })
  let backup: string | null = null
  try {
    if (options.beforeReplace !== undefined) await options.beforeReplace(tmp)
    if (options.backup === true) backup = await keepBackup(path)
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => undefined)
    throw error
  }
  const sync = options.fsyncDir ?? true
  if (sync === 'best-effort') await fsyncDir(dir).catch(() => undefined)
  else if (sync) await fsyncDir(dir)
  return { backup }
}
