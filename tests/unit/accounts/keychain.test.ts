// The Electron keychain store (src/main/shell/secrets.ts) over a mocked safeStorage: encrypted values on disk,
// basic_text refused without consent, and the 0600 file store when encryption is not available at all.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../queue/helpers'

const safeStorage = {
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable: () => safeStorage.available,
  getSelectedStorageBackend: () => safeStorage.backend,
  encryptString: (s: string) => Buffer.from(`enc:${s}`).reverse(),
  decryptString: (b: Buffer) => Buffer.from(b).reverse().toString().replace(/^enc:/, '')
}
vi.mock('electron', () => ({ safeStorage }))

const { createKeychainSecretStore, KEYCHAIN_FILE } = await import('../../../src/main/shell/secrets')

const cleanups: (() => Promise<void>)[] = []
beforeEach(() => {
  safeStorage.available = true
  safeStorage.backend = 'gnome_libsecret'
})
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
async function home(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return dir
}

describe.runIf(process.platform === 'linux')('the keychain secret store', () => {
  it('keeps only encrypted values on disk and reads them back', async () => {
    const dir = await home()
    const store = createKeychainSecretStore(dir)
    expect(store).toMatchObject({ backend: 'keychain', weak: false })
    expect(store.note).toContain('gnome_libsecret')
    await store.set('work', 'hunter2')
    const onDisk = await readFile(join(dir, KEYCHAIN_FILE), 'utf8')
    expect(onDisk).not.toContain('hunter2')
    expect(await store.get('work')).toBe('hunter2')
  })

  it('refuses to store with basic_text unless the user agreed', async () => {
    safeStorage.backend = 'basic_text'
    const dir = await home()
    const store = createKeychainSecretStore(dir)
    expect(store.weak).toBe(true)
    expect(store.note).toMatch(/No keyring/)
    await expect(store.set('work', 'pw')).rejects.toMatchObject({ code: 'SECRET_STORE', message: expect.stringContaining('was not stored') })
    await expect(readFile(join(dir, KEYCHAIN_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    await store.set('work', 'pw', { allowWeak: true })
    expect(await store.get('work')).toBe('pw')
  })

  it('falls back to the 0600 file when encryption is not available', async () => {
    safeStorage.available = false
    const store = createKeychainSecretStore(await home())
    expect(store.backend).toBe('file')
    expect(store.note).toContain('not encrypted')
  })
})
