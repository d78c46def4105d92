// The reading engine of one IMAP account: its session, the serialised work on it (replay, sync, bodies, search),
// optimistic flags/moves/deletes through the ops outbox, and the events the UI listens to.
import type { ImapFlow, SearchObject } from 'imapflow'
import type { MessageSummary } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { ServerCredentials } from '../accounts/credentials'
import type { OpsOutbox } from '../cache/ops'
import { rowToSummary, type MessageRecord, type MessageStore } from '../cache/store'
import type { AccountConfig } from '../config/schema'
import { IMAP_ONLINE_WAIT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'
import { bodyPath, downloadBody, isCached } from './bodies'
import { imapError } from './connect'
import { IDLE_MAILBOX, parkOnInbox, watchPushes } from './idle'
import { isConnectionError, replayOps } from './replay'
import { ImapSession, type SessionState } from './session'
import { HEADER_QUERY, recordOf, syncFolder, syncFolderList, uidSet } from './sync'

export interface EngineEvents {
  progress(p: { mailbox: string | null; phase: 'connecting' | 'folders' | 'headers' | 'idle' | 'offline' | 'error'; done: number; total: number; message?: string }): void
  changed(mailbox: string): void
  newMail(mailbox: string, messages: { uid: number; from: string; subject: string }[]): void
  status(state: SessionState, pendingChanges: number, message?: string): void
}

export interface EngineOptions {
  account: AccountConfig
  credentials: () => Promise<ServerCredentials>
  store: MessageStore
  outbox: OpsOutbox
  bodiesDir: string
  log: Logger
  now: () => number
  events: EngineEvents
  windowsOnly?: boolean
  reconnectFirstMs?: number
  reconnectMaxMs?: number
}

export class AccountEngine {
  readonly session: ImapSession
  private work: Promise<unknown> = Promise.resolve()
  private detach: (() => void) | null = null
  private pendingSync = new Set<string>()
  private syncScheduled = false
  private firstSync: { promise: Promise<void>; resolve: () => void }
  private closed = false

  constructor(private readonly o: EngineOptions) {
    let resolve = (): void => undefined
    const promise = new Promise<void>((r) => { resolve = r })
    this.firstSync = { promise, resolve }
    this.session = new ImapSession({
      account: o.account,
      credentials: o.credentials,
      log: o.log,
      ...(o.reconnectFirstMs !== undefined ? { reconnectFirstMs: o.reconnectFirstMs } : {}),
      ...(o.reconnectMaxMs !== undefined ? { reconnectMaxMs: o.reconnectMaxMs } : {}),
      onConnected: async (client) => {
        this.detach?.()
        this.detach = watchPushes(client, o.store, {
          needSync: (mailbox) => this.requestSync(mailbox),
          changed: (mailbox) => o.events.changed(mailbox)
        })
      },
      onState: (state, message) => {
        o.events.status(state, o.outbox.count(), message)
        if (state === 'online') void this.onOnline()
        else if (state !== 'connecting') o.events.progress({ mailbox: null, phase: state === 'error' ? 'error' : 'offline', done: 0, total: 0, ...(message !== undefined ? { message } : {}) })
        else o.events.progress({ mailbox: null, phase: 'connecting', done: 0, total: 0 })
      }
    })
  }

  get id(): string {
    return this.o.account.id
  }

  start(): void {
    this.session.start()
  }

  /** Resolves after the first full sync since start (replay, folders, every folder). */
  whenSynced(): Promise<void> {
    return this.firstSync.promise
  }

  /** Runs `job` on the online client, one job at a time. IMAP_CONNECT when offline. */
  run<T>(job: (client: ImapFlow) => Promise<T>): Promise<T> {
    const next = this.work.then(async () => {
      const client = this.session.current
      if (client === null) throw new AppError('IMAP_CONNECT', `${this.o.account.id} is offline`, { account: this.o.account.id })
      try {
        return await job(client)
      } catch (error) {
        throw imapError(this.o.account, error)
      }
    })
    this.work = next.catch(() => undefined)
    return next
  }

  private async onOnline(): Promise<void> {
    try {
      await this.replay()
      await this.syncAll()
      this.firstSync.resolve()
    } catch (error) {
      this.o.log.warn('imap', `${this.id}: sync stopped: ${(error as Error).message}`)
    }
  }

  /** Folder list, then INBOX, then the other selectable folders; parks on INBOX for IDLE. */
  syncAll(): Promise<void> {
    return this.run(async (client) => {
      this.o.events.progress({ mailbox: null, phase: 'folders', done: 0, total: 0 })
      const folders = await syncFolderList(client, this.o.store)
      const order = folders.filter((f) => f.selectable).sort((a, b) => Number(b.role === 'inbox') - Number(a.role === 'inbox'))
      for (const folder of order) await this.syncOne(client, folder.path)
      await this.park(client)
      this.o.events.progress({ mailbox: IDLE_MAILBOX, phase: 'idle', done: 0, total: 0 })
    })
  }

  private async syncOne(client: ImapFlow, path: string): Promise<void> {
    const known = this.o.store.maxUid(path)
    const result = await syncFolder(client, this.o.store, path, {
      now: this.o.now(),
      ...(this.o.windowsOnly === true ? { windowsOnly: true } : {}),
      progress: (mailbox, done, total) => this.o.events.progress({ mailbox, phase: 'headers', done, total })
    })
    if (result.addedCount > 0 || result.removed > 0 || result.flagsChanged > 0 || result.reset) this.o.events.changed(path)
    if (known > 0 && result.added.length > 0 && path === IDLE_MAILBOX) {
      this.o.events.newMail(path, result.added.filter((m) => !m.flags.includes('\\Seen')).map((m) => ({ uid: m.uid, from: m.fromDisplay, subject: m.subject })))
    }
  }

  /** Only the folder list (a first open before the first full sync has finished). */
  syncFolders(): Promise<void> {
    return this.run(async (client) => {
      await syncFolderList(client, this.o.store)
    })
  }

  /** Back to INBOX for IDLE; if INBOX moved on meanwhile, one more sync of it is queued. */
  private async park(client: ImapFlow): Promise<void> {
    if (await parkOnInbox(client, this.o.store)) this.requestSync(IDLE_MAILBOX)
  }

  /** Sync one folder now (kick from the UI, or a push). */
  syncMailbox(path: string): Promise<void> {
    return this.run(async (client) => {
      await this.syncOne(client, path)
      await this.park(client)
    })
  }

  private requestSync(mailbox: string): void {
    this.pendingSync.add(mailbox)
    if (this.syncScheduled) return
    this.syncScheduled = true
    // After the current work item: pushes arriving in a burst become one sync per folder.
    void this.run(async (client) => {
      this.syncScheduled = false
      const folders = [...this.pendingSync]
      this.pendingSync.clear()
      for (const folder of folders) await this.syncOne(client, folder)
      await this.park(client)
    }).catch((error: unknown) => {
      this.syncScheduled = false
      this.o.log.warn('imap', `${this.id}: push sync failed: ${(error as Error).message}`)
    })
  }

  /** Replays the outbox; afterwards the touched folders are re-synced so the server's state wins. */
  private replay(): Promise<void> {
    return this.run(async (client) => {
      if (this.o.outbox.count() === 0) return
      const result = await replayOps(client, this.o.outbox, this.o.log, this.id)
      for (const folder of result.folders) {
        if (this.o.store.folderState(folder) !== null) await this.syncOne(client, folder)
      }
      await this.park(client)
      this.o.events.status(this.session.state, this.o.outbox.count())
    })
  }

  /** Queues an op that the cache already shows; sends it now when online. `pending`: it waits for the connection. */
  async submitOp(enqueue: () => number): Promise<{ pending: boolean }> {
    const seq = enqueue()
    this.o.events.status(this.session.state, this.o.outbox.count())
    if (this.session.current === null) return { pending: true }
    try {
      await this.replay()
    } catch (error) {
      // Still queued (connection lost) or applied with a failing re-sync: either way the outbox says what is pending.
      if (!isConnectionError(error)) this.o.log.warn('imap', `${this.id}: after a change: ${(error as Error).message}`)
    }
    return { pending: this.o.outbox.isPending(seq) }
  }

  /** The cached source file of a message, downloading it first when needed (waits a moment for the connection). */
  async bodyFile(folder: string, uid: number): Promise<string> {
    const row = this.o.store.row(folder, uid)
    if (row === null) throw new AppError('NOT_FOUND', `Message ${uid} is not in ${folder}`, { uid, mailbox: folder })
    const cached = typeof row.body_path === 'string' ? row.body_path : null
    if (await isCached(cached)) return cached as string
    if ((await this.session.waitOnline(IMAP_ONLINE_WAIT_MS)) === null) {
      throw new AppError('IMAP_CONNECT', `The mail server of ${this.id} cannot be reached and this message has not been downloaded yet`, { account: this.id })
    }
    const target = bodyPath(this.o.bodiesDir, folder, Number(row.uidvalidity), uid)
    await this.run(async (client) => {
      const lock = await client.getMailboxLock(folder)
      try {
        await downloadBody(client, folder, uid, target)
      } finally {
        lock.release()
      }
      await this.park(client)
    })
    return target
  }

  /** Server SEARCH in one folder; headers the cache lacks are fetched; newest first. */
  async searchServer(folder: string, criteria: SearchObject, limit: number): Promise<MessageSummary[]> {
    return this.run(async (client) => {
      const lock = await client.getMailboxLock(folder)
      try {
        const found = (await client.search(criteria, { uid: true })) || []
        const wanted = [...found].sort((a, b) => b - a).slice(0, limit)
        const missing = wanted.filter((uid) => this.o.store.row(folder, uid) === null)
        if (missing.length > 0 && client.mailbox !== false) {
          const uidvalidity = Number(client.mailbox.uidValidity)
          const records: MessageRecord[] = []
          for await (const msg of client.fetch(uidSet(missing), HEADER_QUERY, { uid: true })) records.push(recordOf(folder, uidvalidity, msg))
          this.o.store.cache.transaction(() => { for (const r of records) this.o.store.upsert(r) })
        }
        return wanted.flatMap((uid) => {
          const row = this.o.store.row(folder, uid)
          return row === null ? [] : [rowToSummary(row, true)]
        }).sort((a, b) => (b.date ?? 0) - (a.date ?? 0))
      } finally {
        lock.release()
        await this.park(client).catch(() => undefined)
      }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.detach?.()
    await this.session.close()
    this.firstSync.resolve()
  }
}
