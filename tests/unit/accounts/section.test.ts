// The accounts section's handlers with a temporary MAILROOM_HOME: the secret never in config.json, a weak store
// refused without consent, a refused account leaving no password behind, legacy passwords moved, remove.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileSecretStore, defaultSecretStore, type SecretStore } from '../../../src/main/accounts/secrets'
import { createAccountsSection } from '../../../src/main/app/section-accounts'
import type { SectionContext } from '../../../src/main/app/section'
import { parseConfig } from '../../../src/main/config/load'
import { pathsFor } from '../../../src/main/config/paths'
import { EventHub } from '../../../src/main/ipc/events'
import { memoryLogger } from '../../../src/main/log/logger'
import { AppError } from '../../../src/shared/result'
import { tempDir } from '../queue/helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const settings = { email: 'me@work.test', imap: { host: 'imap.work.test', port: 993, security: 'tls' as const, user: 'me' } }

async function setup(raw: Record<string, unknown> = {}, secrets?: (home: string) => SecretStore) {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  await writeFile(join(dir, 'config.json'), JSON.stringify(raw))
  const events = new EventHub()
  const seen: unknown[] = []
  events.subscribe((name, payload) => seen.push({ name, payload }))
  const store = secrets?.(dir) ?? defaultSecretStore(dir)
  const context = { mode: 'browser', paths: pathsFor(dir), config: parseConfig(raw), log: memoryLogger(), events, secrets: store } as unknown as SectionContext
  return { dir, h: createAccountsSection(context).handlers, store, seen, context }
}

describe('accounts section', () => {
  it('adds an account with its password in the secret store only, and tells the windows', async () => {
    const { dir, h, store, seen } = await setup({ hostname: 'box.test' })
    const details = await h['accounts.add']({ settings, password: 'pw', allowWeakSecretStorage: false })
    expect(details).toMatchObject({ settings: { id: 'me-work.test' }, hasPassword: true, passwordInConfig: false })
    expect(await readFile(join(dir, 'config.json'), 'utf8')).not.toContain('pw"')
    expect(await store.get('me-work.test')).toBe('pw')
    expect(seen).toMatchObject([{ name: 'accounts.changed', payload: { accounts: [{ id: 'me-work.test' }, { id: 'local' }] } }])
    expect(await h['accounts.get']({ id: 'me-work.test' })).toMatchObject({ settings: { email: 'me@work.test', imap: { host: 'imap.work.test' } } })
  })

  it('refuses a weak secret store without consent, and stores with it', async () => {
    const weak = (home: string): SecretStore => {
      const inner = createFileSecretStore({ file: join(home, 'k.json'), backend: 'keychain', note: 'No keyring.' })
      return { ...inner, weak: true, backend: 'keychain', note: 'No keyring.', set: (id, s, o) => (o?.allowWeak === true ? inner.set(id, s) : Promise.reject(new AppError('SECRET_STORE', 'refused'))) }
    }
    const { h, dir } = await setup({}, weak)
    await expect(h['accounts.add']({ settings, password: 'pw', allowWeakSecretStorage: false })).rejects.toMatchObject({ code: 'SECRET_STORE', message: expect.stringMatching(/No keyring.*Store the password anyway/) })
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).accounts).toBeUndefined()
    expect(await h['accounts.secretStorage']({})).toEqual({ backend: 'keychain', note: 'No keyring.', weak: true })
    await h['accounts.add']({ settings, password: 'pw', allowWeakSecretStorage: true })
    expect(JSON.parse(await readFile(join(dir, 'k.json'), 'utf8')).secrets).toEqual({ 'me-work.test': 'pw' })
  })

  it('leaves no password behind when config.json refuses the account, and refuses plaintext to remote servers', async () => {
    const { h, store } = await setup({ hostname: 'box.test', routes: { default: [{ type: 'direct' }] } })
    await expect(h['accounts.add']({ settings: { ...settings, sentMailbox: '' } as never, password: 'pw', allowWeakSecretStorage: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    expect(await store.get('me-work.test')).toBeNull()
    await expect(h['accounts.add']({ settings: { ...settings, imap: { ...settings.imap, security: 'none' } }, password: 'pw', allowWeakSecretStorage: false }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('only allowed for a server on this computer') })
  })

  it('moves a legacy config.json password to the secret store on save, and removes both on remove', async () => {
    const legacy = { accounts: [{ id: 'old', email: 'me@work.test', imap: { ...settings.imap, password: 'legacy' } }] }
    const { dir, h, store } = await setup(legacy)
    expect(await h['accounts.get']({ id: 'old' })).toMatchObject({ hasPassword: true, passwordInConfig: true, settings: { imap: { host: 'imap.work.test' } } })
    expect(JSON.stringify(await h['accounts.get']({ id: 'old' }))).not.toContain('legacy')
    await h['accounts.update']({ id: 'old', settings: { ...settings, name: 'Me' }, allowWeakSecretStorage: false })
    expect(await store.get('old')).toBe('legacy')
    expect(await readFile(join(dir, 'config.json'), 'utf8')).not.toContain('legacy')
    expect(await h['accounts.get']({ id: 'old' })).toMatchObject({ hasPassword: true, passwordInConfig: false, settings: { name: 'Me' } })
    expect(await h['accounts.remove']({ id: 'old' })).toEqual({ removed: true })
    expect(await store.get('old')).toBeNull()
    expect(await h['accounts.list']({})).toMatchObject([{ id: 'local' }])
  })

  it('tests with the stored password when none is typed, and asks for one otherwise', async () => {
    const { h } = await setup({})
    await expect(h['accounts.test']({ settings })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('Enter the password') })
    await expect(h['accounts.test']({ settings, accountId: 'nope' })).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' })
  })
})
