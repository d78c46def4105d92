// The runner lock is published complete (tmp + fsync + link): a holder killed at any point never leaves an empty lock.
import { describe, it, expect, afterEach, vi } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from './helpers'

/** While set, link() never resolves: the process "is killed" between writing the tmp file and publishing it. */
const stall = vi.hoisted(() => ({ link: false }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>()
  return { ...actual, link: (...args: Parameters<typeof actual.link>) => (stall.link ? new Promise<void>(() => undefined) : actual.link(...args)) }
})
const { acquireRunnerLock, readLockOwner } = await import('../../../src/main/queue/lock')

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  stall.link = false
  for (const c of cleanups.splice(0)) await c()
})

async function lockDir(): Promise<{ dir: string; path: string }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  await mkdir(join(dir, 'run'), { recursive: true })
  return { dir: join(dir, 'run'), path: join(dir, 'run', 'queue.lock') }
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid as number
}

const OWNER_LINE = /^\d+ [0-9a-f]{32}\n$/

describe('runner lock publication', () => {
  it('has no queue.lock at all until its content is complete (killed before the link: nothing to wait for)', async () => {
    const { dir, path } = await lockDir()
    stall.link = true
    void acquireRunnerLock(path) // never finishes: stands for a process killed right before link()
    await vi.waitFor(async () => expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(true))
    const names = await readdir(dir)
    expect(names).not.toContain('queue.lock')
    const tmp = names.find((n) => n.endsWith('.tmp')) as string
    expect(tmp).toMatch(/^queue\.lock\.[0-9a-f]{32}\.tmp$/)
    expect(await readFile(join(dir, tmp), 'utf8')).toMatch(OWNER_LINE)
    stall.link = false
    // Another process (another token) gets the lock at once instead of waiting 10 s for an empty file to age.
    const lock = await acquireRunnerLock(path)
    expect(lock).not.toBeNull()
    expect(await readFile(path, 'utf8')).toBe(`${process.pid} ${lock?.token}\n`)
    await lock?.release()
  })

  it('takes over at once a lock linked by a process killed right after the link (its tmp file left behind)', async () => {
    const { dir, path } = await lockDir()
    const token = 'ab'.repeat(16)
    const tmp = join(dir, `queue.lock.${token}.tmp`)
    await writeFile(tmp, `${deadPid()} ${token}\n`)
    const { link } = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')
    await link(tmp, path)
    expect(await readLockOwner(path)).toBeNull()
    const started = Date.now()
    const lock = await acquireRunnerLock(path)
    expect(lock).not.toBeNull()
    expect(Date.now() - started).toBeLessThan(2000)
    await lock?.release()
  })

  it('sweeps tmp files of dead attempts older than a minute and leaves young ones', async () => {
    const { dir, path } = await lockDir()
    const old = join(dir, `queue.lock.${'cd'.repeat(16)}.tmp`)
    const young = join(dir, `queue.lock.${'ef'.repeat(16)}.tmp`)
    await writeFile(old, `${deadPid()} ${'cd'.repeat(16)}\n`)
    await writeFile(young, `${deadPid()} ${'ef'.repeat(16)}\n`)
    const past = new Date(Date.now() - 120_000)
    await utimes(old, past, past)
    const lock = await acquireRunnerLock(path)
    expect((await readdir(dir)).sort()).toEqual(['queue.lock', `queue.lock.${'ef'.repeat(16)}.tmp`])
    await lock?.release()
  })

  it('is never seen empty or partial by a reader while many processes race for it', async () => {
    const { dir, path } = await lockDir()
    const seen: string[] = []
    let racing = true
    const reader = (async () => {
      while (racing) {
        const text = await readFile(path, 'utf8').catch(() => null)
        if (text !== null) seen.push(text)
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    for (let round = 0; round < 20; round++) {
      const locks = await Promise.all(Array.from({ length: 6 }, () => acquireRunnerLock(path)))
      expect(locks.filter((l) => l !== null)).toHaveLength(1)
      for (const l of locks) await l?.release()
    }
    racing = false
    await reader
    expect(seen.length).toBeGreaterThan(0)
    for (const text of seen) expect(text).toMatch(OWNER_LINE)
    expect(await readdir(dir)).toEqual([])
  })

  it('reports a lock directory it cannot write to as an error and leaves nothing behind', async () => {
    const { dir, path } = await lockDir()
    const { chmod } = await import('node:fs/promises')
    await chmod(dir, 0o500)
    try {
      if (process.getuid?.() === 0) return // root writes anyway
      await expect(acquireRunnerLock(path)).rejects.toThrow(/EACCES/)
    } finally {
      await chmod(dir, 0o700)
    }
    expect(await readdir(dir)).toEqual([])
  })
})
