// Accounts in config.json: atomic read-modify-write (backup kept, other keys untouched), refused changes write nothing,
// and the live Config object follows every change.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { accountIdFor, createAccountStore } from '../../../src/main/accounts/store'
import { parseConfig } from '../../../src/main/config/load'
import { tempDir } from '../queue/helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const work = { id: 'work', email: 'me@work.test', imap: { host: 'imap.work.test', port: 993, security: 'tls', user: 'me' } }
const original = { hostname: 'box.test', queue: { lifetime: '3d' }, accounts: [] as unknown[] }

async function setup(initial: unknown = original): Promise<{ file: string; dir: string }> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const file = join(dir, 'config.json')
  if (initial !== null) await writeFile(file, typeof initial === 'string' ? initial : JSON.stringify(initial, null, 2))
  return { file, dir }
}

describe('the account store', () => {
  it('adds an account: config.json rewritten with the other keys as written, the old file kept as .bak, the live config updated', async () => {
    const { file, dir } = await setup()
    const config = parseConfig(original)
    const sameArray = config.accounts
    const seen: string[][] = []
    const store = createAccountStore({ file, config })
    store.onChange((accounts) => seen.push(accounts.map((a) => a.id)))
    const added = await store.add(work)
    expect(added).toMatchObject({ id: 'work', imap: { host: 'imap.work.test', port: 993 } })
    const written = JSON.parse(await readFile(file, 'utf8'))
    expect(written).toEqual({ ...original, accounts: [work] }) // defaults were not materialised
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toEqual(original)
    expect(config.accounts).toBe(sameArray)
    expect(config.accounts.map((a) => a.id)).toEqual(['work'])
    expect(seen).toEqual([['work']])
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'config.json.bak'])
  })

  it('creates config.json (mode 0600) when there was none', async () => {
    const { file } = await setup(null)
    const config = parseConfig({})
    await createAccountStore({ file, config }).add(work)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ accounts: [work] })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('refuses an invalid account naming the key, and writes nothing', async () => {
    const { file } = await setup()
    const config = parseConfig(original)
    const store = createAccountStore({ file, config })
    const before = await readFile(file, 'utf8')
    await expect(store.add({ ...work, imap: { ...work.imap, port: 99999 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('accounts.0.imap.port') })
    await expect(store.add({ ...work, id: 'local' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('built-in local mailbox') })
    expect(await readFile(file, 'utf8')).toBe(before)
    expect(config.accounts).toEqual([])
  })

  it('refuses to touch a config.json that is not valid JSON', async () => {
    const { file } = await setup('{ "hostname": ')
    const store = createAccountStore({ file, config: parseConfig({}) })
    await expect(store.add(work)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/not valid JSON.*fix it/) })
    expect(await readFile(file, 'utf8')).toBe('{ "hostname": ')
  })

  it('updates and removes, refusing a duplicate id and an unknown account', async () => {
    const { file } = await setup()
    const config = parseConfig(original)
    const store = createAccountStore({ file, config })
    await store.add(work)
    await expect(store.add(work)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const updated = await store.update('work', { ...work, name: 'Work', smtp: { host: 'smtp.work.test' } })
    expect(updated.smtp).toEqual({ host: 'smtp.work.test', port: 587, security: 'starttls' })
    expect(config.accounts[0]?.name).toBe('Work')
    await expect(store.update('nope', work)).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' })
    expect(await store.remove('work')).toBe(true)
    expect(await store.remove('work')).toBe(false)
    expect(config.accounts).toEqual([])
    expect(JSON.parse(await readFile(file, 'utf8')).accounts).toEqual([])
  })

  it('serialises concurrent changes: none is lost', async () => {
    const { file } = await setup()
    const config = parseConfig(original)
    const store = createAccountStore({ file, config })
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.add({ ...work, id: `a${i}`, email: `a${i}@work.test` })))
    expect(JSON.parse(await readFile(file, 'utf8')).accounts.map((a: { id: string }) => a.id).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'])
  })

  it('still reads a legacy password in config.json', () => {
    const config = parseConfig({ accounts: [{ ...work, imap: { ...work.imap, password: 'old' } }] })
    expect(config.accounts[0]?.imap.password).toBe('old')
  })
})

describe('account ids', () => {
  it('come from the address, avoid taken ids and "local"', () => {
    expect(accountIdFor('Alice@Example.org', [])).toBe('alice-example.org')
    expect(accountIdFor('alice@example.org', ['alice-example.org', 'alice-example.org-2'])).toBe('alice-example.org-3')
    expect(accountIdFor('a+b@x.test', [])).toBe('a-b-x.test')
  })
})
