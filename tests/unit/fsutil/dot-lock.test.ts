// acquireDotLock / releaseDotLock: the <file>.lock shared by mbox appends and the out-of-office reply database.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireDotLock, isProcessAlive, releaseDotLock } from '../../../src/main/fsutil/dot-lock'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailroom-dotlock-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const quick = { waitMs: 60, staleMs: 60_000, retryMs: 10 }

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  expect(child.pid).toBeGreaterThan(0)
  return child.pid as number
}

describe('dot-lock', () => {
  it('creates the lock holding our pid; a second taker is busy until it is released', async () => {
    const lock = join(dir, 'mbox.lock')
    expect(await acquireDotLock(lock, quick)).toBe('locked')
    expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`)
    expect(await acquireDotLock(lock, quick)).toBe('busy')
    await releaseDotLock(lock)
    await releaseDotLock(lock)
    expect(await acquireDotLock(lock, quick)).toBe('locked')
  })

  it('takes over a lock whose process is gone', async () => {
    const lock = join(dir, 'db.json.lock')
    const pid = deadPid()
    expect(isProcessAlive(pid)).toBe(false)
    await writeFile(lock, `${pid}\n`)
    expect(await acquireDotLock(lock, quick)).toBe('locked')
    expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`)
  })

  it('takes over a lock older than staleMs even when its process lives', async () => {
    const lock = join(dir, 'db.json.lock')
    await writeFile(lock, `${process.ppid}\n`)
    const old = new Date(Date.now() - 120_000)
    await utimes(lock, old, old)
    expect(await acquireDotLock(lock, quick)).toBe('locked')
  })

  it('throws the errno for a missing folder, and creates it with createDir', async () => {
    const lock = join(dir, 'var', 'vacation', 'u.json.lock')
    await expect(acquireDotLock(lock, quick)).rejects.toThrow(/ENOENT/)
    expect(await readdir(dir)).toEqual([])
    expect(await acquireDotLock(lock, { ...quick, createDir: true })).toBe('locked')
  })
})
