// The queue-runner lock (run/queue.lock): at most one process delivers from the spool; it must never let two in.
// Anyone may enqueue without it. A lock whose owner process is gone is stale and taken over by rename, then checked.
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isErrno, renameIfExists, unlinkIfExists } from './fsutil'

/** A lock file that exists but has no readable owner yet is being written; after this long it is debris. */
const UNREADABLE_LOCK_GRACE_MS = 10_000
const MAX_TAKEOVER_TRIES = 3

export interface RunnerLock {
  readonly path: string
  readonly pid: number
  readonly token: string
  /** True while the lock file still names this holder (check before each queue run). */
  verify(): Promise<boolean>
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): Promise<void>
}

interface Owner {
  pid: number
  token: string
}

/** Tokens of locks held by this process, to tell our own live lock from a stale one with a recycled pid. */
const heldTokens = new Set<string>()

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

function parseOwner(text: string): Owner | null {
  const match = /^(\d+) ([0-9a-f]{32})\n?$/.exec(text)
  if (match === null) return null
  return { pid: Number(match[1]), token: match[2] as string }
}

async function readOwner(path: string): Promise<{ owner: Owner | null; text: string; mtimeMs: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    return { owner: parseOwner(text), text, mtimeMs: info.mtimeMs }
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    throw error
  }
}

function ownerIsLive(owner: Owner): boolean {
  if (owner.pid === process.pid) return heldTokens.has(owner.token)
  return isProcessAlive(owner.pid)
}

async function tryCreate(path: string, owner: Owner): Promise<boolean> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false
    throw error
  }
  try {
    await handle.writeFile(`${owner.pid} ${owner.token}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return true
}

/**
 * Moves a stale lock out of the way. Two processes may decide at once that the same lock is stale; the rename lets
 * only one of them move *that* file. The loser may instead have moved the winner's fresh lock, which it notices by
 * comparing contents, and puts back with link() (never overwriting a lock someone created meanwhile).
 */
async function removeStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`
  if (!(await renameIfExists(path, aside))) return
  let movedText: string
  try {
    movedText = await readFile(aside, 'utf8')
  } catch {
    movedText = staleText
  }
  if (movedText !== staleText) {
    await link(aside, path).catch(() => undefined)
  }
  await unlinkIfExists(aside)
}

/** Takes the runner lock, or returns null while another live process holds it. */
export async function acquireRunnerLock(path: string): Promise<RunnerLock | null> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const owner: Owner = { pid: process.pid, token: randomBytes(16).toString('hex') }
  for (let attempt = 0; attempt < MAX_TAKEOVER_TRIES; attempt++) {
    if (await tryCreate(path, owner)) {
      heldTokens.add(owner.token)
      return makeLock(path, owner)
    }
    const current = await readOwner(path)
    if (current === null) continue
    if (current.owner === null) {
      if (Date.now() - current.mtimeMs < UNREADABLE_LOCK_GRACE_MS) return null
    } else if (ownerIsLive(current.owner)) {
      return null
    }
    await removeStale(path, current.text)
  }
  return null
}

/** The pid of the live process holding the runner lock, or null when nobody does. */
export async function readLockOwner(path: string): Promise<number | null> {
  const current = await readOwner(path)
  if (current === null || current.owner === null) return null
  return ownerIsLive(current.owner) ? current.owner.pid : null
}

function makeLock(path: string, owner: Owner): RunnerLock {
  let released = false
  const verify = async (): Promise<boolean> => {
    if (released) return false
    const current = await readOwner(path)
    return current?.owner?.token === owner.token
  }
  return {
    path,
    pid: owner.pid,
    token: owner.token,
    verify,
    async release() {
      if (released) return
      released = true
      heldTokens.delete(owner.token)
      const current = await readOwner(path)
      if (current?.owner?.token !== owner.token) return
      await unlink(path).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) throw error
      })
    }
  }
}
