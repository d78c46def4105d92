// <file>.lock dot-locks between processes (mbox appends, the out-of-office reply database): created exclusively ('wx',
// which never follows a symlink) holding the owner's pid; a lock whose process is gone, or older than staleMs, is taken over.
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isErrno } from './durable'

export interface DotLockOptions {
  /** How long to wait for a live holder before giving up ('busy'). */
  waitMs: number
  /** A lock older than this is taken over even when its pid is alive (a hung holder). */
  staleMs: number
  /** Pause between two attempts. */
  retryMs: number
  /** Create the lock's directory when it is missing (0700); default: a missing directory is an error. */
  createDir?: boolean
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return !isErrno(error, 'ESRCH')
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The content of a lock that may be taken over (its pid is dead, or it is older than staleMs), else null. */
async function staleContent(lockPath: string, staleMs: number): Promise<string | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)])
    const pid = Number.parseInt(text, 10)
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) return text
    if (Date.now() - info.mtimeMs > staleMs) return text
    return null
  } catch {
    return null
  }
}

/** Creates the lock holding `<pid>\n`; false when it exists. A lock whose pid could not be written is removed again. */
async function tryCreate(lockPath: string): Promise<boolean> {
  let handle
  try {
    handle = await open(lockPath, 'wx', 0o600)
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false
    throw error
  }
  try {
    await handle.writeFile(`${process.pid}\n`)
  } catch (error) {
    await handle.close().catch(() => undefined)
    await unlink(lockPath).catch(() => undefined)
    throw error
  }
  await handle.close()
  return true
}

/**
 * Takes `lockPath`: 'locked' once created, 'busy' when a live holder kept it past waitMs. Errors other than "exists"
 * (EACCES, ENOENT without createDir…) are thrown with their errno for the caller to map.
 */
export async function acquireDotLock(lockPath: string, options: DotLockOptions): Promise<'locked' | 'busy'> {
  const deadline = Date.now() + options.waitMs
  for (;;) {
    try {
      if (await tryCreate(lockPath)) return 'locked'
    } catch (error) {
      if (options.createDir !== true || !isErrno(error, 'ENOENT')) throw error
      await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 })
      continue
    }
    const stale = await staleContent(lockPath, options.staleMs)
    if (stale !== null) {
      // Remove it only if it is still the same stale lock (another process may have taken it over meanwhile).
      // A stale lock that cannot be removed (no permission) is waited on like a live one instead of spinning.
      const current = await readFile(lockPath, 'utf8').catch(() => null)
      if (current !== stale || await unlink(lockPath).then(() => true, () => false)) continue
    }
    if (Date.now() >= deadline) return 'busy'
    await sleep(options.retryMs)
  }
}

/** Removes the lock; one already gone is fine. */
export async function releaseDotLock(lockPath: string): Promise<void> {
  await unlink(lockPath).catch(() => undefined)
}
