// The 0600 secrets file: created private, refused when others could read it, atomic, never half-written, damage refused.
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileSecretStore, defaultSecretStore, SECRETS_FILE } from '../../../src/main/accounts/secrets'
import { accountCredentials, submissionCredentials } from '../../../src/main/accounts/credentials'
import { AppError } from '../../../src/shared/result'
import { tempDir } from '../queue/helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
async function home(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return dir
}

describe('the file secret store', () => {
  it('creates secrets.json with mode 0600 and reads back what was stored', async () => {
    const dir = await home()
    const store = defaultSecretStore(dir)
    expect(store.backend).toBe('file')
    expect(store.note).toContain('not encrypted')
    await store.set('work', 'pa$$word')
    expect((await stat(join(dir, SECRETS_FILE))).mode & 0o777).toBe(0o600)
    expect(await store.get('work')).toBe('pa$$word')
    expect(await store.get('other')).toBeNull()
    expect(await readdir(dir)).toEqual([SECRETS_FILE]) // no temporary file left behind
  })

  it('refuses to read a file that other users can read, naming the file, the mode and the fix', async () => {
    const dir = await home()
    const store = defaultSecretStore(dir)
    await store.set('work', 'secret')
    await chmod(join(dir, SECRETS_FILE), 0o644)
    const error = await store.get('work').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('SECRET_STORE')
    expect((error as AppError).message).toMatch(/other users \(mode 0644\).*chmod 600/)
    // and does not overwrite it either (the other secrets would be lost)
    await expect(store.set('home', 'x')).rejects.toMatchObject({ code: 'SECRET_STORE' })
    expect(JSON.parse(await readFile(join(dir, SECRETS_FILE), 'utf8')).secrets).toEqual({ work: 'secret' })
  })

  it('refuses a damaged file instead of starting over, and leaves it as it is', async () => {
    const dir = await home()
    await writeFile(join(dir, SECRETS_FILE), '{"secrets": {"work": ', { mode: 0o600 })
    const store = defaultSecretStore(dir)
    await expect(store.get('work')).rejects.toMatchObject({ code: 'SECRET_STORE', message: expect.stringMatching(/damaged/) })
    await expect(store.set('home', 'x')).rejects.toMatchObject({ code: 'SECRET_STORE' })
    expect(await readFile(join(dir, SECRETS_FILE), 'utf8')).toBe('{"secrets": {"work": ')
  })

  it('keeps every secret when saves run at the same time, and deletes one', async () => {
    const dir = await home()
    const store = defaultSecretStore(dir)
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`a${i}`, `s${i}`)))
    for (let i = 0; i < 20; i += 1) expect(await store.get(`a${i}`)).toBe(`s${i}`)
    expect(await store.delete('a3')).toBe(true)
    expect(await store.delete('a3')).toBe(false)
    expect(await store.get('a3')).toBeNull()
    expect(await store.get('a4')).toBe('s4')
  })

  it('uses a codec (as the keychain store does) and says when a value cannot be decoded', async () => {
    const dir = await home()
    const file = join(dir, 'secrets.keychain.json')
    const codec = { encode: (s: string) => Buffer.from(s).toString('base64'), decode: (s: string) => { if (s === 'bad') throw new Error('wrong key'); return Buffer.from(s, 'base64').toString() } }
    const store = createFileSecretStore({ file, backend: 'keychain', note: 'n', codec })
    await store.set('work', 'hunter2')
    expect(JSON.parse(await readFile(file, 'utf8')).secrets.work).toBe(Buffer.from('hunter2').toString('base64'))
    expect(await store.get('work')).toBe('hunter2')
    await writeFile(file, JSON.stringify({ version: 1, secrets: { work: 'bad' } }), { mode: 0o600 })
    await expect(store.get('work')).rejects.toMatchObject({ code: 'SECRET_STORE', message: expect.stringMatching(/cannot be decrypted.*enter it again/) })
  })
})

describe('account credentials', () => {
  const account = (over: Record<string, unknown> = {}) => ({
    id: 'work', email: 'me@work.test', imap: { host: 'imap.work.test', port: 993, security: 'tls' as const, user: 'me' }, ...over
  })

  it('take the password from the secret store, and a legacy config.json password first', async () => {
    const dir = await home()
    const secrets = defaultSecretStore(dir)
    await secrets.set('work', 'from-store')
    const config = { accounts: [account({ smtp: { host: 'smtp.work.test', port: 587, security: 'starttls' as const } })] }
    expect(await accountCredentials({ config, secrets } as never, 'work')).toEqual({
      host: 'imap.work.test', port: 993, security: 'tls', user: 'me', password: 'from-store', tls: { rejectUnauthorized: true }
    })
    expect(await submissionCredentials({ config, secrets } as never, 'work')).toMatchObject({ host: 'smtp.work.test', port: 587, user: 'me', password: 'from-store' })
    const legacy = { accounts: [account({ imap: { host: 'h', port: 143, security: 'starttls', user: 'me', password: 'in-config' } })] }
    expect((await accountCredentials({ config: legacy, secrets } as never, 'work')).password).toBe('in-config')
  })

  it('say clearly when no password is stored or the account does not exist', async () => {
    const dir = await home()
    const context = { config: { accounts: [account()] }, paths: { home: dir } }
    await expect(accountCredentials(context as never, 'work')).rejects.toMatchObject({ code: 'SECRET_MISSING', message: expect.stringMatching(/No password is stored for account "work".*Accounts/) })
    await expect(accountCredentials(context as never, 'nope')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' })
  })
})
