// Syncs one IMAP account completely into its cache and stops: for scripts and the sync benchmark (bench/sync).
import type { ServerCredentials } from '../accounts/credentials'
import type { AccountConfig } from '../config/schema'
import { createLogger, type Logger } from '../log/logger'
import type { EngineEvents } from './engine'
import { ImapAccount } from './imap-account'

export interface SyncAccountOptions {
  account: AccountConfig
  /** Where <account>.db and <account>/bodies go (MAILROOM_HOME/cache in the app). */
  cacheDir: string
  /** Default: the password in the account's imap settings. */
  credentials?: () => Promise<ServerCredentials>
  log?: Logger
  onProgress?: EngineEvents['progress']
  /** Force UID windows instead of CONDSTORE/QRESYNC. */
  windowsOnly?: boolean
}

export interface SyncAccountResult {
  folders: number
  messages: number
  ms: number
}

/** Connects, replays pending changes, syncs the folder list and every folder, closes; rejects when it cannot connect or log in. */
export async function syncAccount(options: SyncAccountOptions): Promise<SyncAccountResult> {
  const started = Date.now()
  const { account } = options
  let failure: string | null = null
  const credentials = options.credentials ?? (async (): Promise<ServerCredentials> => ({
    host: account.imap.host, port: account.imap.port, security: account.imap.security, user: account.imap.user,
    password: account.imap.password ?? '', tls: { rejectUnauthorized: account.imap.tls?.rejectUnauthorized ?? true }
  }))
  let fail: (reason: Error) => void = () => undefined
  const failed = new Promise<never>((_, reject) => { fail = reject })
  const opened = await ImapAccount.open({
    account, cacheDir: options.cacheDir, credentials, log: options.log ?? createLogger({}), now: () => Date.now(),
    ...(options.windowsOnly !== undefined ? { windowsOnly: options.windowsOnly } : {}),
    events: {
      progress: (p) => options.onProgress?.(p),
      changed: () => undefined,
      newMail: () => undefined,
      status: (state, _pending, message) => {
        if (state === 'offline' || state === 'error') {
          failure = message ?? state
          fail(new Error(`${account.id}: ${failure}`))
        }
      }
    }
  })
  try {
    opened.start()
    await Promise.race([opened.engine.whenSynced(), failed])
    const folders = await opened.folders()
    return { folders: folders.length, messages: folders.reduce((n, f) => n + f.total, 0), ms: Date.now() - started }
  } finally {
    await opened.close()
  }
}
