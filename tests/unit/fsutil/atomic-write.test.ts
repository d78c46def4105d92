// writeFileAtomic: the one atomic replace (tmp → fsync → .bak → rename → directory fsync) every store outside the spool uses.
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../../src/main/fsutil/atomic-write'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailroom-atomic-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('writeFileAtomic', () => {
  it('creates a new file 0600 by default, leaves no tmp file and reports no backup', async () => {
    const file = join(dir, 'a.json')
    expect(await writeFileAtomic(file, '{"a":1}\n')).toEqual({ backup: null })
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n')
    expect(await modeOf(file)).toBe(0o600)
    expect(await readdir(dir)).toEqual(['a.json'])
  })

  it('keeps the previous version as .bak when asked, and none for a new file', async () => {
    const file = join(dir, 'rules')
    expect((await writeFileAtomic(file, 'one', { backup: true })).backup).toBeNull()
    const second = await writeFileAtomic(file, Buffer.from('two'), { backup: true })
    expect(second.backup).toBe(`${file}.bak`)
    expect(await readFile(`${file}.bak`, 'utf8')).toBe('one')
    expect(await readFile(file, 'utf8')).toBe('two')
    expect((await readdir(dir)).sort()).toEqual(['rules', 'rules.bak'])
  })

  it('gives exactly the mode asked with exactMode, whatever the umask', async () => {
    const file = join(dir, 'forward')
    await writeFileAtomic(file, 'x', { mode: 0o666, exactMode: true })
    expect(await modeOf(file)).toBe(0o666)
  })

  it('creates the directory with the mode given', async () => {
    const file = join(dir, 'deep', 'er', 'f.json')
    await writeFileAtomic(file, 'x', { createDir: 0o700 })
    expect(await readFile(file, 'utf8')).toBe('x')
    expect(await modeOf(join(dir, 'deep'))).toBe(0o700)
  })

  it('fails on a missing directory without createDir, creating nothing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x')).rejects.toThrow(/ENOENT/)
    expect(await readdir(dir)).toEqual([])
  })

  it('leaves the old file, no .bak and no tmp file when beforeReplace refuses', async () => {
    const file = join(dir, 'aliases')
    await writeFile(file, 'old')
    let seen = ''
    const refusal = writeFileAtomic(file, 'new', {
      backup: true,
      beforeReplace: async (tmp) => {
        seen = await readFile(tmp, 'utf8')
        throw new Error('changed on disk')
      }
    })
    await expect(refusal).rejects.toThrow('changed on disk')
    expect(seen).toBe('new')
    expect(await readFile(file, 'utf8')).toBe('old')
    expect(await readdir(dir)).toEqual(['aliases'])
  })

  it('removes its tmp file when the rename fails (the target is a folder)', async () => {
    const target = join(dir, 'taken')
    await mkdir(join(target, 'inside'), { recursive: true })
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/)
    expect(await readdir(dir)).toEqual(['taken'])
  })
})
