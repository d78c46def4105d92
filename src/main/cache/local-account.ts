// The Local account (the user's Maildir) through the cache: every call refreshes the folder from disk first (cheap
// when unchanged), then answers like an IMAP account; changes are file renames, so nothing is ever pending.
import { join } from 'node:path'
import type { FolderInfo, MessageSummary } from '../../shared/contract'
import type { MailAccount } from '../imap/mail-account'
import type { ParsedMessage } from '../imap/message-parse'
import { LOCAL_MAILDIR_POLL_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'
import type { MessageParser } from '../parse'
import { openCacheDb, type CacheDb } from './db'
import { MaildirIndex } from './maildir-index'
import { toSql, type SearchQuery } from './search-query'
import { MessageStore } from './store'

export interface LocalNotify {
  changed(mailbox: string): void
  newMail(mailbox: string, messages: { uid: number; from: string; subject: string }[]): void
}

export class LocalAccount implements MailAccount {
  readonly store: MessageStore
  readonly index: MaildirIndex
  private poller: NodeJS.Timeout | null = null
  private polling = false

  private constructor(private readonly cache: CacheDb, maildir: string, private readonly notify: LocalNotify, parser: MessageParser, private readonly log?: Logger) {
    this.store = new MessageStore(cache)
    this.index = new MaildirIndex(maildir, this.store, parser, log)
  }

  /** `parser`: the app's parse worker pool (owned by the caller: close() does not stop it). */
  static async open(cacheDir: string, maildir: string, notify: LocalNotify, parser: MessageParser, log?: Logger): Promise<LocalAccount> {
    return new LocalAccount(await openCacheDb(join(cacheDir, 'local.db')), maildir, notify, parser, log)
  }

  private changed(mailbox: string): void {
    this.notify.changed(mailbox)
  }

  /** Watches the INBOX (a running app): new local mail becomes mail.newMail and mail.changed. */
  start(): void {
    if (this.poller !== null) return
    this.poller = setInterval(() => void this.poll(), LOCAL_MAILDIR_POLL_MS)
    this.poller.unref?.()
  }

  /** One look at the INBOX; new unseen messages since the last look are announced. */
  async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const known = this.store.folderState('INBOX') === null ? null : this.store.maxUid('INBOX')
      if (!(await this.index.refresh('INBOX'))) return
      this.changed('INBOX')
      if (known === null) return
      const fresh = this.store.list('INBOX', 0, 200).filter((m) => m.uid > known && !m.seen)
      if (fresh.length > 0) this.notify.newMail('INBOX', fresh.map((m) => ({ uid: m.uid, from: m.from, subject: m.subject })))
    } catch (error) {
      this.log?.warn('local', `checking the Local INBOX: ${(error as Error).message}`)
    } finally {
      this.polling = false
    }
  }

  async folders(): Promise<FolderInfo[]> {
    const folders = await this.index.refreshFolders()
    for (const f of folders) await this.index.refresh(f.path)
    return this.store.folders()
  }

  async list(mailbox: string, offset: number, limit: number): Promise<MessageSummary[]> {
    if (this.store.folderState(mailbox) === null) await this.index.refreshFolders()
    await this.index.refresh(mailbox)
    return this.store.list(mailbox, offset, limit)
  }

  messageFile(mailbox: string, uid: number): Promise<string> {
    return this.index.file(mailbox, uid)
  }

  afterRead(mailbox: string, uid: number, file: string, parsed: ParsedMessage): { seen: boolean; flagged: boolean } {
    this.store.setBody(mailbox, uid, { path: file, preview: parsed.preview, text: parsed.text, hasAttachments: parsed.hasAttachments })
    const flags = this.store.flagsOf(mailbox, uid) ?? []
    return { seen: flags.includes('\\Seen'), flagged: flags.includes('\\Flagged') }
  }

  async search(mailbox: string | null, query: SearchQuery, _scope: 'local' | 'server', limit: number): Promise<{ messages: MessageSummary[]; scope: 'local' | 'server' }> {
    const folders = mailbox === null ? (await this.index.refreshFolders()).map((f) => f.path) : [mailbox]
    for (const f of folders) await this.index.refresh(f)
    // Everything of the Local account is on this disk: a "server" search is the same search.
    return { messages: this.store.search(toSql(query), mailbox, limit), scope: 'local' }
  }

  async setFlags(mailbox: string, uids: number[], add: string[], remove: string[]): Promise<{ pending: boolean }> {
    await this.index.setFlags(mailbox, uids, add, remove)
    this.changed(mailbox)
    return { pending: false }
  }

  async move(mailbox: string, uids: number[], target: string): Promise<{ pending: boolean }> {
    await this.index.move(mailbox, uids, target)
    this.changed(mailbox)
    this.changed(target)
    return { pending: false }
  }

  async delete(mailbox: string, uids: number[]): Promise<{ pending: boolean }> {
    const trash = this.store.folderRole('trash') ?? 'Trash'
    if (mailbox === trash) await this.index.remove(mailbox, uids)
    else await this.index.move(mailbox, uids, trash)
    this.changed(mailbox)
    return { pending: false }
  }

  async sync(mailbox?: string): Promise<{ started: boolean }> {
    const folders = mailbox === undefined ? (await this.index.refreshFolders()).map((f) => f.path) : [mailbox]
    for (const f of folders) if (await this.index.refresh(f, true)) this.changed(f)
    return { started: true }
  }

  async close(): Promise<void> {
    if (this.poller !== null) clearInterval(this.poller)
    this.poller = null
    this.cache.close()
  }
}
