// The queue-runner lock (run/queue.lock): at most one process delivers from the spool; it must never let two in.
// Anyone may enqueue without it. A lock whose owner process is gone is stale: removed by rename under a takeover guard.
import { randomBytes } from 'node:crypto'
import { link, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { isProcessAlive } from '../fsutil/dot-lock'
import { isErrno, renameIfExists, unlinkIfExists, writeFileDurable } from '../fsutil/durable'

/** A lock file without a readable owner (only an older version could leave one: see tryCreate); after this long it is debris. */
const UNREADABLE_LOCK_GRACE_MS = 10_000
/** A takeover guard older than this was left by a taker that died inside its few-millisecond critical section. */
const STALE_GUARD_MS = 5_000
const GUARD_RETRY_MS = 25
const MAX_TRIES = 40
const TMP_SUFFIX = '.tmp'
/** A lock tmp file older than this belongs to an attempt that died before linking it. */
const TMP_SWEEP_AGE_MS = 60_000

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

/**
 * Creates `path` holding `<pid> <token>\n`, complete from its first instant: the content is written and fsynced in
 * `<path>.<token>.tmp`, which is then hard-linked to `path` (EEXIST: taken). A process killed at any point leaves
 * either no lock or a lock naming it (judged stale by its pid), never an empty one; at worst a tmp file (swept).
 */
async function tryCreate(path: string, owner: Owner): Promise<boolean> {
  const tmp = `${path}.${owner.token}${TMP_SUFFIX}`
  await writeFileDurable(tmp, Buffer.from(`${owner.pid} ${owner.token}\n`))
  // Registered before the link publishes it, so a taker in this same process never mistakes it for stale.
  heldTokens.add(owner.token)
  try {
    await link(tmp, path)
    return true
  } catch (error) {
    heldTokens.delete(owner.token)
    if (isErrno(error, 'EEXIST')) return false
    throw error
  } finally {
    await unlinkIfExists(tmp).catch(() => false)
  }
}

/** Removes tmp files of lock attempts killed between their creation and their link (older than a minute). */
async function sweepTmpFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}.`
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix) || !/\.[0-9a-f]{32}\.tmp$/.test(name)) continue
    const file = join(dirname(path), name)
    const info = await stat(file).catch(() => null)
    if (info !== null && Date.now() - info.mtimeMs > TMP_SWEEP_AGE_MS) await unlinkIfExists(file).catch(() => false)
  }
}

/**
 * Removes `path` only if it still holds `expected`: rename it aside (atomic: of several removers only one gets this
 * file), then compare. If what was moved is not what we judged (someone replaced it meanwhile), link it back.
 */
async function removeIfUnchanged(path: string, expected: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`
  if (!(await renameIfExists(path, aside))) return
  const moved = await readFile(aside, 'utf8').catch(() => expected)
  if (moved !== expected) await link(aside, path).catch(() => undefined)
  await unlinkIfExists(aside)
}

/**
 * Runs `fn` while holding `<path>.takeover`, so stale-lock removal is done by one process at a time: under the
 * guard a lock judged stale cannot turn into a live one (that would need a removal, which needs the guard).
 * 'busy' when another process holds the guard; a guard left by a crashed taker is cleared after a few seconds.
 */
async function withTakeoverGuard<T>(path: string, fn: () => Promise<T>): Promise<T | 'busy'> {
  const guard = `${path}.takeover`
  const mine: Owner = { pid: process.pid, token: randomBytes(16).toString('hex') }
  const created = await tryCreate(guard, mine)
  heldTokens.delete(mine.token)
  if (!created) {
    const current = await readOwner(guard)
    if (current !== null && Date.now() - current.mtimeMs > STALE_GUARD_MS) await removeIfUnchanged(guard, current.text)
    return 'busy'
  }
  try {
    return await fn()
  } finally {
    await removeIfUnchanged(guard, `${mine.pid} ${mine.token}\n`)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Takes the runner lock, or returns null while another live process holds it. */
export async function acquireRunnerLock(path: string): Promise<RunnerLock | null> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const owner: Owner = { pid: process.pid, token: randomBytes(16).toString('hex') }
  await sweepTmpFiles(path)
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    if (await tryCreate(path, owner)) return makeLock(path, owner)
    const current = await readOwner(path)
    if (current === null) continue
    if (current.owner === null) {
      if (Date.now() - current.mtimeMs < UNREADABLE_LOCK_GRACE_MS) return null
    } else if (ownerIsLive(current.owner)) {
      return null
    }
    const taken = await withTakeoverGuard(path, async () => {
      const again = await readOwner(path)
      if (again !== null && again.text === current.text) await removeIfUnchanged(path, again.text)
      return tryCreate(path, owner)
    })
    if (taken === true) return makeLock(path, owner)
    if (taken === 'busy') await sleep(GUARD_RETRY_MS)
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
