// An IMAP account as the mail section sees it: the cache answers lists and local searches at once, the engine
// syncs, fetches bodies, searches the server and replays changes; flags/moves/deletes are optimistic.
import { join } from 'node:path'
import type { FolderInfo, MessageSummary } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { openCacheDb, type CacheDb } from '../cache/db'
import { OpsOutbox } from '../cache/ops'
import { toImapCriteria, toSql, type SearchQuery } from '../cache/search-query'
import { MessageStore } from '../cache/store'
import { IMAP_ONLINE_WAIT_MS } from '../config/timeouts'
import { AccountEngine, type EngineOptions } from './engine'
import type { MailAccount } from './mail-account'
import type { ParsedMessage } from './message-parse'

/** The engine's options but for what the account builds from cacheDir itself (store, outbox, bodiesDir). */
export interface ImapAccountOptions extends Omit<EngineOptions, 'store' | 'outbox' | 'bodiesDir'> {
  cacheDir: string
}

export class ImapAccount implements MailAccount {
  readonly store: MessageStore
  readonly outbox: OpsOutbox
  readonly engine: AccountEngine
  private started = false

  private constructor(private readonly cache: CacheDb, private readonly o: ImapAccountOptions) {
    this.store = new MessageStore(cache)
    this.outbox = new OpsOutbox(cache)
    const { cacheDir, ...engineOptions } = o
    this.engine = new AccountEngine({ ...engineOptions, store: this.store, outbox: this.outbox, bodiesDir: join(cacheDir, o.account.id, 'bodies') })
  }

  /** Opens cacheDir/<id>.db (CACHE_UNAVAILABLE on a Node without node:sqlite). */
  static async open(o: ImapAccountOptions): Promise<ImapAccount> {
    return new ImapAccount(await openCacheDb(join(o.cacheDir, `${o.account.id}.db`)), o)
  }

  start(): void {
    if (this.started) return
    this.started = true
    this.engine.start()
  }

  async folders(): Promise<FolderInfo[]> {
    const cached = this.store.folders()
    if (cached.length > 0) return cached
    await this.online()
    await this.engine.syncFolders()
    return this.store.folders()
  }

  /** Waits a moment for the session; when it cannot come up, says why (wrong password, server down). */
  private async online(): Promise<void> {
    if (!this.started) this.start()
    if ((await this.engine.session.waitOnline(IMAP_ONLINE_WAIT_MS)) !== null) return
    throw this.engine.session.lastError ?? new AppError('IMAP_CONNECT', `The mail server of ${this.o.account.id} cannot be reached yet`, { account: this.o.account.id })
  }

  async list(mailbox: string, offset: number, limit: number): Promise<MessageSummary[]> {
    // A folder never synced: sync it first, so the first open shows mail, or an error instead of an empty list.
    if (this.store.folderState(mailbox)?.uidvalidity == null) {
      await this.online()
      await this.engine.syncMailbox(mailbox)
    }
    return this.store.list(mailbox, offset, limit)
  }

  async messageFile(mailbox: string, uid: number): Promise<string> {
    if (!this.started) this.start()
    return this.engine.bodyFile(mailbox, uid)
  }

  afterRead(mailbox: string, uid: number, file: string, parsed: ParsedMessage): { seen: boolean; flagged: boolean } {
    this.store.setBody(mailbox, uid, { path: file, preview: parsed.preview, text: parsed.text, hasAttachments: parsed.hasAttachments })
    const flags = this.store.flagsOf(mailbox, uid) ?? []
    return { seen: flags.includes('\\Seen'), flagged: flags.includes('\\Flagged') }
  }

  async search(mailbox: string | null, query: SearchQuery, scope: 'local' | 'server', limit: number): Promise<{ messages: MessageSummary[]; scope: 'local' | 'server' }> {
    const local = this.store.search(toSql(query), mailbox, limit)
    if (scope === 'local') return { messages: local, scope }
    const remote = await this.engine.searchServer(mailbox ?? 'INBOX', toImapCriteria(query), limit)
    const seen = new Set(remote.map((m) => `${m.mailbox ?? ''}/${m.uid}`))
    const merged = [...remote, ...local.filter((m) => !seen.has(`${m.mailbox ?? ''}/${m.uid}`))]
    return { messages: merged.sort((a, b) => (b.date ?? 0) - (a.date ?? 0)).slice(0, limit), scope }
  }

  private checkFolder(mailbox: string): void {
    if (this.store.folderState(mailbox) === null) throw new AppError('NOT_FOUND', `There is no folder "${mailbox}" in ${this.o.account.id}`, { mailbox })
  }

  setFlags(mailbox: string, uids: number[], add: string[], remove: string[]): Promise<{ pending: boolean }> {
    this.checkFolder(mailbox)
    return this.engine.submitOp(() => this.store.cache.transaction(() => {
      const modseqs = this.store.modseqs(mailbox, uids)
      this.store.changeFlags(mailbox, uids, add, remove)
      this.o.events.changed(mailbox)
      return this.outbox.add('flags', mailbox, { uids, add, remove, modseqs }, this.o.now())
    }))
  }

  move(mailbox: string, uids: number[], target: string): Promise<{ pending: boolean }> {
    this.checkFolder(mailbox)
    this.checkFolder(target)
    if (target === mailbox) return Promise.resolve({ pending: false })
    return this.engine.submitOp(() => this.store.cache.transaction(() => {
      this.store.deleteUids(mailbox, uids)
      this.o.events.changed(mailbox)
      return this.outbox.add('move', mailbox, { uids, target }, this.o.now())
    }))
  }

  /** Into the Trash; in the Trash (or without one) for good. */
  delete(mailbox: string, uids: number[]): Promise<{ pending: boolean }> {
    const trash = this.store.folderRole('trash')
    if (trash !== null && trash !== mailbox) return this.move(mailbox, uids, trash)
    this.checkFolder(mailbox)
    return this.engine.submitOp(() => this.store.cache.transaction(() => {
      this.store.deleteUids(mailbox, uids)
      this.o.events.changed(mailbox)
      return this.outbox.add('delete', mailbox, { uids }, this.o.now())
    }))
  }

  async sync(mailbox?: string): Promise<{ started: boolean }> {
    if (!this.started) this.start()
    if (this.engine.session.current === null) {
      this.engine.session.kick()
      return { started: true }
    }
    const work = mailbox === undefined ? this.engine.syncAll() : this.engine.syncMailbox(mailbox)
    work.catch((error: unknown) => this.o.log.warn('imap', `${this.o.account.id}: sync: ${(error as Error).message}`))
    return { started: true }
  }

  async close(): Promise<void> {
    await this.engine.close()
    this.cache.close()
  }
}
