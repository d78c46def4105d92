// Durable writes and the group-commit directory syncer.
import { describe, it, expect } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DirSyncer, fsyncDir, writeFileDurable } from '../../../src/main/fsutil/durable'
import { tempDir } from './helpers'

function gate(): { promise: Promise<void>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void
  let fail!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    open = res
    fail = rej
  })
  return { promise, open, fail }
}

describe('writeFileDurable and fsyncDir', () => {
  it('writes every byte to a new file and refuses to overwrite one', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const bytes = Buffer.alloc(1024 * 1024, 7)
      await writeFileDurable(join(dir, 'a'), bytes)
      expect((await readFile(join(dir, 'a'))).equals(bytes)).toBe(true)
      await writeFile(join(dir, 'b'), 'x')
      await expect(writeFileDurable(join(dir, 'b'), bytes)).rejects.toThrow(/EEXIST/)
      await fsyncDir(dir)
    } finally {
      await cleanup()
    }
  })
})

describe('DirSyncer', () => {
  it('makes callers that arrive during an fsync share the next one, which starts after the current', async () => {
    const rounds: ReturnType<typeof gate>[] = []
    const syncer = new DirSyncer(() => {
      const g = gate()
      rounds.push(g)
      return g.promise
    })
    const settled: string[] = []
    const first = syncer.sync('/d').then(() => settled.push('first'))
    const late = Array.from({ length: 10 }, (_, i) => syncer.sync('/d').then(() => settled.push(`late${i}`)))
    expect(rounds).toHaveLength(1)
    rounds[0]?.open()
    await first
    // The late callers renamed after the first fsync began: they are not covered by it.
    expect(settled).toEqual(['first'])
    expect(rounds).toHaveLength(2)
    rounds[1]?.open()
    await Promise.all(late)
    expect(settled).toHaveLength(11)
    expect(syncer.fsyncCount).toBe(2)
  })

  it('keeps directories apart', async () => {
    const seen: string[] = []
    const syncer = new DirSyncer(async (dir) => {
      seen.push(dir)
    })
    await Promise.all([syncer.sync('/a'), syncer.sync('/b')])
    expect(seen.sort()).toEqual(['/a', '/b'])
  })

  it('delivers an fsync error to every caller of that round, and recovers for the next', async () => {
    const rounds: ReturnType<typeof gate>[] = []
    const syncer = new DirSyncer(() => {
      const g = gate()
      rounds.push(g)
      return g.promise
    })
    const first = syncer.sync('/d')
    const second = syncer.sync('/d')
    const third = syncer.sync('/d')
    rounds[0]?.open()
    await first
    rounds[1]?.fail(new Error('EIO: disk on fire'))
    await expect(second).rejects.toThrow(/EIO/)
    await expect(third).rejects.toThrow(/EIO/)
    const fourth = syncer.sync('/d')
    rounds[2]?.open()
    await expect(fourth).resolves.toBeUndefined()
  })
})
