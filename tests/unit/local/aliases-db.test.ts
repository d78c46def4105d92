// Compiling etc/aliases: sendmail's statistics, atomic replacement, the old database kept on errors, the default file, loading.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compileAliases, ensureDefaultAliases, loadAliases } from '../../../src/main/local/aliases-db'

let etc: string
beforeEach(async () => {
  etc = await mkdtemp(join(tmpdir(), 'mailroom-aliasdb-'))
})
afterEach(async () => {
  await rm(etc, { recursive: true, force: true })
})

describe('compileAliases', () => {
  it('writes the database and counts like sendmail (aliases, longest right-hand side, bytes of names and right-hand sides)', async () => {
    await writeFile(join(etc, 'aliases'), '# c\nab: cd, ef\nx: y\n')
    const result = await compileAliases(etc)
    expect(result.ok).toBe(true)
    expect(result.stats).toEqual({ count: 2, longest: 6, total: 2 + 6 + 1 + 1 })
    expect((await readdir(etc)).sort()).toEqual(['aliases', 'aliases.db.json'])
    const loaded = await loadAliases(etc)
    expect(loaded).toMatchObject({ stale: false, missing: false, warnings: [] })
    expect([...loaded.table.keys()]).toEqual(['ab', 'x'])
  })

  it('with a bad line reports it and leaves the previous database in place, byte for byte', async () => {
    await writeFile(join(etc, 'aliases'), 'good: alice\n')
    expect((await compileAliases(etc)).ok).toBe(true)
    const before = await readFile(join(etc, 'aliases.db.json'), 'utf8')
    await writeFile(join(etc, 'aliases'), 'good: bob\nbad line here\n')
    const result = await compileAliases(etc)
    expect(result.ok).toBe(false)
    expect(result.errors).toEqual([{ file: 'aliases', line: 2, message: 'missing ":" after the alias name in "bad line here"' }])
    expect(await readFile(join(etc, 'aliases.db.json'), 'utf8')).toBe(before)
    expect((await readdir(etc)).sort()).toEqual(['aliases', 'aliases.db.json'])
    const loaded = await loadAliases(etc)
    expect(loaded.stale).toBe(true)
    expect(loaded.table.get('good')?.targets[0]?.value).toBe('alice')
  })

  it('fails with ENOENT when there is no etc/aliases', async () => {
    await expect(compileAliases(etc)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('ensureDefaultAliases', () => {
  it('writes and compiles the default file only when there is none', async () => {
    const created = await ensureDefaultAliases(join(etc, 'sub'), 'alice')
    expect(created?.ok).toBe(true)
    expect(created?.stats.count).toBeGreaterThan(20)
    const text = await readFile(join(etc, 'sub', 'aliases'), 'utf8')
    expect(text).toMatch(/^www: webmaster$/m)
    expect(text).toMatch(/^root: alice$/m)
    await writeFile(join(etc, 'sub', 'aliases'), 'mine: alice\n')
    expect(await ensureDefaultAliases(join(etc, 'sub'), 'alice')).toBeNull()
    expect(await readFile(join(etc, 'sub', 'aliases'), 'utf8')).toBe('mine: alice\n')
  })
})

describe('loadAliases', () => {
  it('says what is wrong with an unreadable database and falls back to the source', async () => {
    await writeFile(join(etc, 'aliases'), 'a: b\n')
    await writeFile(join(etc, 'aliases.db.json'), '{ not json')
    const loaded = await loadAliases(etc)
    expect(loaded.missing).toBe(true)
    expect(loaded.table.get('a')?.targets[0]?.value).toBe('b')
    expect(loaded.warnings.join('\n')).toMatch(/aliases\.db\.json cannot be used/)
  })

  it('is empty without source and database', async () => {
    expect(await loadAliases(etc)).toMatchObject({ missing: true, stale: false, warnings: [] })
  })
})
