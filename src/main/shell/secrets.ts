// The keychain secret store (Electron only): account passwords encrypted with safeStorage (Keychain, DPAPI, libsecret
// or kwallet), the encrypted blobs kept in MAILROOM_HOME/secrets.keychain.json (0600, atomic writes).
// Linux without a keyring gives safeStorage's `basic_text` backend (a fixed key): then the store is marked weak and
// refuses to save unless the user agreed; when encryption is not available at all, the 0600 file store is used instead.
import { safeStorage } from 'electron'
import { join } from 'node:path'
import { AppError } from '../../shared/result'
import { createFileSecretStore, defaultSecretStore, type SecretStore } from '../accounts/secrets'

export const KEYCHAIN_FILE = 'secrets.keychain.json'

/** The Electron-side store; call after app 'ready' (safeStorage needs it). */
export function createKeychainSecretStore(home: string): SecretStore {
  if (!safeStorage.isEncryptionAvailable()) return defaultSecretStore(home)
  const file = join(home, KEYCHAIN_FILE)
  const linuxBackend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null
  const weak = linuxBackend === 'basic_text'
  const note = weak
    ? `No keyring (GNOME Keyring, KWallet) is available, so passwords in ${file} would only be obscured with a fixed key, not really encrypted.`
    : `Passwords are encrypted with the operating system's keychain${linuxBackend !== null ? ` (${linuxBackend})` : ''} and kept in ${file}.`
  const inner = createFileSecretStore({
    file,
    backend: 'keychain',
    note,
    codec: {
      encode: (secret) => safeStorage.encryptString(secret).toString('base64'),
      decode: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64'))
    }
  })
  return {
    backend: 'keychain',
    note,
    weak,
    get: (accountId) => inner.get(accountId),
    delete: (accountId) => inner.delete(accountId),
    async set(accountId, secret, options) {
      if (weak && options?.allowWeak !== true) throw new AppError('SECRET_STORE', `${note} The password was not stored.`, { backend: 'keychain', weak: true })
      await inner.set(accountId, secret)
    }
  }
}
