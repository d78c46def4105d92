// The atomic save of rules files: tmp + rename with a .bak of the previous version, kept modes, mtime conflicts, refusals that change nothing.
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readRulesText, saveRulesText } from '../../../src/main/local/rules-store'

let dir: string
const limit = 1024

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-rules-store-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('saveRulesText', () => {
  it('replaces the file, keeps exactly the previous version as .bak, and leaves no temporary file', async () => {
    const path = join(dir, 'aliases')
    const first = await saveRulesText(path, 'one\n', { limit, expectedMtime: null })
    expect(first.backup).toBeNull()
    const second = await saveRulesText(path, 'two\n', { limit, expectedMtime: first.mtimeMs })
    expect(second.backup).toBe(`${path}.bak`)
    await saveRulesText(path, 'three\n', { limit, expectedMtime: second.mtimeMs })
    expect(await readFile(path, 'utf8')).toBe('three\n')
    expect(await readFile(`${path}.bak`, 'utf8')).toBe('two\n')
    expect((await readdir(dir)).sort()).toEqual(['aliases', 'aliases.bak'])
  })

  it('keeps the mode of an existing file and gives a new one 0644', async () => {
    const path = join(dir, '.forward')
    await writeFile(path, 'old\n')
    await chmod(path, 0o600)
    await saveRulesText(path, 'new\n', { limit })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const fresh = join(dir, 'fresh')
    await saveRulesText(fresh, 'x\n', { limit })
    expect((await stat(fresh)).mode & 0o777).toBe(0o644)
  })

  it('refuses a stale mtime, a deleted file and a file that appeared, without touching the disk', async () => {
    const path = join(dir, 'aliases')
    await writeFile(path, 'theirs\n')
    const seen = (await stat(path)).mtimeMs
    await utimes(path, new Date(), new Date(Date.now() + 2000))
    await expect(saveRulesText(path, 'mine\n', { limit, expectedMtime: seen })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('changed on disk since you opened it') })
    await expect(saveRulesText(path, 'mine\n', { limit, expectedMtime: null })).rejects.toMatchObject({ message: expect.stringContaining('was created on disk') })
    expect(await readFile(path, 'utf8')).toBe('theirs\n')
    const gone = join(dir, 'gone')
    await expect(saveRulesText(gone, 'mine\n', { limit, expectedMtime: 1234 })).rejects.toMatchObject({ message: expect.stringContaining('was deleted on disk') })
    expect((await readdir(dir)).sort()).toEqual(['aliases'])
  })

  it('turns file system failures into RULES_IO with the reason, leaving the old file as it was', async () => {
    await writeFile(join(dir, 'plain'), 'a file\n')
    await expect(saveRulesText(join(dir, 'plain', 'aliases'), 'x', { limit })).rejects.toMatchObject({ code: 'RULES_IO' })
    await expect(saveRulesText(join(dir, 'no', 'such', 'aliases'), 'x', { limit })).rejects.toMatchObject({ code: 'RULES_IO', message: expect.stringContaining('the folder does not exist') })
    await mkdir(join(dir, 'folder'))
    await expect(saveRulesText(join(dir, 'folder'), 'x', { limit })).rejects.toMatchObject({ code: 'RULES_IO', message: expect.stringContaining('not a regular file') })
    await expect(saveRulesText(join(dir, 'plain'), 'x'.repeat(limit + 1), { limit })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await readFile(join(dir, 'plain'), 'utf8')).toBe('a file\n')
    expect((await readdir(dir)).sort()).toEqual(['folder', 'plain'])
  })
})

describe('readRulesText', () => {
  it('reads a missing file as empty, and refuses a folder or an oversized file', async () => {
    expect(await readRulesText(join(dir, 'none'), limit)).toEqual({ path: join(dir, 'none'), exists: false, text: '', mtimeMs: null })
    await expect(readRulesText(dir, limit)).rejects.toMatchObject({ code: 'RULES_IO' })
    await writeFile(join(dir, 'big'), 'x'.repeat(limit + 1))
    await expect(readRulesText(join(dir, 'big'), limit)).rejects.toMatchObject({ code: 'RULES_IO', message: expect.stringContaining('edit it with a text editor') })
  })
})
