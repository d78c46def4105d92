// Adds, edits and removes accounts in config.json: read-modify-write of the raw JSON, validated by the config schema,
// written tmp → fsync → rename (the previous file kept as config.json.bak), then the live Config updated in place.
//
// Only the `accounts` key is touched; every other key stays exactly as the user wrote it (defaults are not
// materialised). An invalid result is refused before anything is written, naming the key and the reason.
import { AppError } from '../../shared/result'
import { writeFileAtomic } from '../fsutil/atomic-write'
import { readJsonFile } from '../fsutil/json-file'
import { parseConfig } from '../config/load'
import type { AccountConfig, Config } from '../config/schema'

type RawAccount = Record<string, unknown>
type AccountsListener = (accounts: readonly AccountConfig[]) => void

export interface AccountStore {
  list(): readonly AccountConfig[]
  /** Appends an account; the id must be new. */
  add(account: RawAccount): Promise<AccountConfig>
  /** Replaces account `id` (its id cannot change). */
  update(id: string, account: RawAccount): Promise<AccountConfig>
  /** False when there was no such account. */
  remove(id: string): Promise<boolean>
  /** Called after every successful change, with the new list (the same array as config.accounts). */
  onChange(listener: AccountsListener): () => void
}

export interface AccountStoreOptions {
  /** MAILROOM_HOME/config.json. */
  file: string
  /** The live configuration every service holds; its `accounts` array is updated in place. */
  config: Config
}

async function readRaw(file: string): Promise<Record<string, unknown>> {
  const raw = (await readJsonFile(file, 'CONFIG_INVALID', 'fix it before changing accounts')) ?? {}
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AppError('CONFIG_INVALID', `${file} must hold a JSON object`, { file })
  return raw as Record<string, unknown>
}

/** Keeps the current file as .bak, then writes the new one atomically (0600). */
async function writeRaw(file: string, raw: Record<string, unknown>): Promise<void> {
  try {
    await writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600, backup: true, createDir: true })
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `${file} could not be written (${(error as Error).message}); nothing was changed`, { file }, { cause: error })
  }
}

export function createAccountStore(options: AccountStoreOptions): AccountStore {
  const { file, config } = options
  const listeners = new Set<AccountsListener>()
  let chain: Promise<unknown> = Promise.resolve()

  /** One change at a time: read, change the accounts list, validate the whole file, write, update the live config. */
  function change<T>(edit: (accounts: RawAccount[]) => { accounts: RawAccount[]; result: (parsed: Config) => T }): Promise<T> {
    const work = async (): Promise<T> => {
      const raw = await readRaw(file)
      const current = Array.isArray(raw.accounts) ? (raw.accounts as RawAccount[]) : []
      const { accounts, result } = edit(current.map((a) => ({ ...a })))
      const next = { ...raw, accounts }
      const parsed = parseConfig(next, file)
      await writeRaw(file, next)
      config.accounts.splice(0, config.accounts.length, ...parsed.accounts)
      for (const listener of listeners) listener(config.accounts)
      return result(parsed)
    }
    const run = chain.then(work, work)
    chain = run.catch(() => undefined)
    return run
  }

  const byId = (parsed: Config, id: string): AccountConfig => parsed.accounts.find((a) => a.id === id) as AccountConfig

  return {
    list: () => config.accounts,
    add: (account) => change((accounts) => {
      const id = String(account.id)
      if (accounts.some((a) => a.id === id)) throw new AppError('INVALID_ARGUMENT', `An account with the id "${id}" exists already`, { account: id })
      return { accounts: [...accounts, account], result: (parsed) => byId(parsed, id) }
    }),
    update: (id, account) => change((accounts) => {
      const index = accounts.findIndex((a) => a.id === id)
      if (index < 0) throw new AppError('ACCOUNT_NOT_FOUND', `There is no account "${id}" in config.json`, { account: id })
      const next = [...accounts]
      next[index] = { ...account, id }
      return { accounts: next, result: (parsed) => byId(parsed, id) }
    }),
    remove: (id) => change((accounts) => {
      const next = accounts.filter((a) => a.id !== id)
      const removed = next.length !== accounts.length
      return { accounts: next, result: () => removed }
    }),
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
}

/** An id for a new account from its address ("alice@example.org" → "alice-example.org"), unique among `taken`. */
export function accountIdFor(email: string, taken: readonly string[]): string {
  const base = email.toLowerCase().replace('@', '-').replace(/[^a-z0-9_.-]/g, '-').replace(/-+/g, '-').slice(0, 56) || 'account'
  const used = new Set([...taken.map((t) => t.toLowerCase()), 'local'])
  if (!used.has(base)) return base
  for (let n = 2; ; n += 1) if (!used.has(`${base}-${n}`)) return `${base}-${n}`
}
