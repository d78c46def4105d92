// Account secrets (passwords): the SecretStore interface and its file-backed implementation (0600 JSON, atomic writes).
//
// Two backends share this file format: `file` (MAILROOM_HOME/secrets.json, plain text protected only by its mode,
// used in browser mode and headless) and `keychain` (src/main/shell/secrets.ts: the same map, each value encrypted
// with Electron safeStorage, in MAILROOM_HOME/secrets.keychain.json). A file that other users could read is refused
// rather than used, so a copied or chmod-ed file never leaks quietly.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../shared/result'
import { writeFileAtomic } from '../fsutil/atomic-write'

export type SecretBackend = 'keychain' | 'file'

export interface SecretStore {
  readonly backend: SecretBackend
  /** One sentence for the user: where secrets go and how well they are protected. */
  readonly note: string
  /** True when storing needs the user's consent (Electron's basic_text backend: no real keyring). */
  readonly weak?: boolean
  get(accountId: string): Promise<string | null>
  /** allowWeak: the user agreed to a weak backend; a weak store refuses (SECRET_STORE) without it. */
  set(accountId: string, secret: string, options?: { allowWeak?: boolean }): Promise<void>
  /** True when there was something to delete. */
  delete(accountId: string): Promise<boolean>
}

/** How values are written to and read from the file (identity for `file`, safeStorage for `keychain`). */
export interface SecretCodec {
  encode(secret: string): string
  decode(stored: string): string
}

const plainCodec: SecretCodec = { encode: (s) => s, decode: (s) => s }

interface SecretFile {
  version: 1
  secrets: Record<string, string>
}

export const SECRETS_FILE = 'secrets.json'

export function fileStoreNote(file: string): string {
  return `Passwords are kept in ${file}, readable only by your user (mode 0600) but not encrypted: anyone with access to your user account or a backup of this file can read them.`
}

/** Refuses a secrets file with any group or other permission bit; names the file, the mode and the fix. */
async function checkPrivate(file: string): Promise<boolean> {
  let mode: number
  try {
    mode = (await stat(file)).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new AppError('SECRET_STORE', `${file} cannot be read: ${(error as Error).message}`, { file }, { cause: error })
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0')
    throw new AppError('SECRET_STORE', `${file} can be read or changed by other users (mode ${octal}); passwords are not read from it. Run "chmod 600 ${file}" if that was a mistake, then try again.`, { file, mode: octal })
  }
  return true
}

async function readSecretFile(file: string): Promise<SecretFile> {
  if (!(await checkPrivate(file))) return { version: 1, secrets: {} }
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new AppError('SECRET_STORE', `${file} is damaged (${(error as Error).message}); it was left as it is`, { file }, { cause: error })
  }
  const secrets = (parsed as Partial<SecretFile> | null)?.secrets
  if (typeof secrets !== 'object' || secrets === null || Object.values(secrets).some((v) => typeof v !== 'string')) {
    throw new AppError('SECRET_STORE', `${file} is damaged (no "secrets" map of strings); it was left as it is`, { file })
  }
  return { version: 1, secrets: { ...secrets } }
}

/** Written atomically, 0600 in a 0700 directory. */
async function writeSecretFile(file: string, content: SecretFile): Promise<void> {
  try {
    await writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, createDir: 0o700 })
  } catch (error) {
    throw new AppError('SECRET_STORE', `${file} could not be written: ${(error as Error).message}`, { file }, { cause: error })
  }
}

export interface FileSecretStoreOptions {
  file: string
  backend?: SecretBackend
  note?: string
  codec?: SecretCodec
}

/** A SecretStore over one JSON file; writes are serialised so two saves never lose each other's change. */
export function createFileSecretStore(options: FileSecretStoreOptions): SecretStore {
  const codec = options.codec ?? plainCodec
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work)
    chain = next.catch(() => undefined)
    return next
  }
  return {
    backend: options.backend ?? 'file',
    note: options.note ?? fileStoreNote(options.file),
    async get(accountId) {
      const stored = (await readSecretFile(options.file)).secrets[accountId]
      if (stored === undefined) return null
      try {
        return codec.decode(stored)
      } catch (error) {
        throw new AppError('SECRET_STORE', `The stored password of account "${accountId}" cannot be decrypted (${(error as Error).message}); enter it again in Accounts`, { account: accountId }, { cause: error })
      }
    },
    set: (accountId, secret) => serial(async () => {
      const content = await readSecretFile(options.file)
      content.secrets[accountId] = codec.encode(secret)
      await writeSecretFile(options.file, content)
    }),
    delete: (accountId) => serial(async () => {
      const content = await readSecretFile(options.file)
      if (!Object.hasOwn(content.secrets, accountId)) return false
      delete content.secrets[accountId]
      await writeSecretFile(options.file, content)
      return true
    })
  }
}

/** The store used without Electron (browser mode, daemon, CLI, tests): MAILROOM_HOME/secrets.json. */
export function defaultSecretStore(home: string): SecretStore {
  return createFileSecretStore({ file: join(home, SECRETS_FILE) })
}
