// The queue-runner lock: one holder at a time, stale locks of dead processes taken over.
import { describe, it, expect, afterEach } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isProcessAlive } from '../../../src/main/fsutil/dot-lock'
import { acquireRunnerLock, readLockOwner } from '../../../src/main/queue/lock'
import { tempDir } from './helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function lockPath(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return join(dir, 'run', 'queue.lock')
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  expect(child.pid).toBeGreaterThan(0)
  return child.pid as number
}

describe('runner lock', () => {
  it('lets one holder in; a second acquire gets null until release', async () => {
    const path = await lockPath()
    const first = await acquireRunnerLock(path)
    expect(first).not.toBeNull()
    expect(await readFile(path, 'utf8')).toBe(`${process.pid} ${first?.token}\n`)
    expect(await acquireRunnerLock(path)).toBeNull()
    expect(await readLockOwner(path)).toBe(process.pid)
    expect(await first?.verify()).toBe(true)
    await first?.release()
    expect(await readLockOwner(path)).toBeNull()
    const second = await acquireRunnerLock(path)
    expect(second).not.toBeNull()
    await second?.release()
  })

  it('takes over a stale lock whose process is gone', async () => {
    const path = await lockPath()
    const pid = deadPid()
    expect(isProcessAlive(pid)).toBe(false)
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, `${pid} ${'ab'.repeat(16)}\n`)
    expect(await readLockOwner(path)).toBeNull()
    const lock = await acquireRunnerLock(path)
    expect(lock).not.toBeNull()
    expect(await readLockOwner(path)).toBe(process.pid)
    await lock?.release()
  })

  it('lets exactly one of many simultaneous takers win a stale lock', async () => {
    const path = await lockPath()
    const { mkdir, readdir } = await import('node:fs/promises')
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, `${deadPid()} ${'cd'.repeat(16)}\n`)
    const locks = await Promise.all(Array.from({ length: 8 }, () => acquireRunnerLock(path)))
    expect(locks.filter((l) => l !== null)).toHaveLength(1)
    expect(await readdir(join(path, '..'))).toEqual(['queue.lock'])
  })

  it('treats a lock file being written (no owner yet) as held, and old debris as stale', async () => {
    const path = await lockPath()
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, '')
    expect(await acquireRunnerLock(path)).toBeNull()
    const old = new Date(Date.now() - 60_000)
    await utimes(path, old, old)
    const lock = await acquireRunnerLock(path)
    expect(lock).not.toBeNull()
    await lock?.release()
  })

  it('does not delete a lock that is no longer its own', async () => {
    const path = await lockPath()
    const lock = await acquireRunnerLock(path)
    await writeFile(path, `${process.pid} ${'ef'.repeat(16)}\n`)
    expect(await lock?.verify()).toBe(false)
    await lock?.release()
    expect(await readFile(path, 'utf8')).toContain('efef')
  })
})
