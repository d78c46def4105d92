// The Local account on a Node without node:sqlite (plain Node 20): read straight from the Maildir with no cache;
// INBOX only, search by scanning the headers; changes need the cache and say so.
import type { FolderInfo, MessageSummary } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { MailAccount } from '../imap/mail-account'
import type { MaildirReader } from '../local/maildir-reader'
import { sqliteProblem } from './db'
import type { SearchQuery } from './search-query'

/** Everything of the INBOX at once (the list without a cache has no paging index). */
const SCAN_LIMIT = 100_000

export function matchesQuery(m: MessageSummary, query: SearchQuery): boolean {
  const has = (haystack: string, needle: string): boolean => haystack.toLowerCase().includes(needle.toLowerCase())
  for (const term of query.terms) {
    const fields = term.field === 'from' ? [m.from] : term.field === 'to' ? (m.to ?? []) : term.field === 'subject' ? [m.subject] : [m.from, m.subject, ...(m.to ?? [])]
    if (!fields.some((f) => has(f, term.value))) return false
  }
  if (query.unread !== undefined && m.seen === query.unread) return false
  if (query.flagged === true && m.flagged !== true) return false
  if (query.hasAttachment === true && m.hasAttachments !== true) return false
  if (query.after !== undefined && (m.date ?? 0) < query.after) return false
  if (query.before !== undefined && (m.date ?? Infinity) >= query.before) return false
  return true
}

export class LegacyLocalAccount implements MailAccount {
  constructor(private readonly reader: MaildirReader) {}

  start(): void {}

  async folders(): Promise<FolderInfo[]> {
    const all = await this.reader.list('INBOX', SCAN_LIMIT)
    return [{ path: 'INBOX', name: 'Inbox', parent: null, delimiter: '.', role: 'inbox', selectable: true, total: all.length, unread: all.filter((m) => !m.seen).length }]
  }

  async list(mailbox: string, offset: number, limit: number): Promise<MessageSummary[]> {
    return (await this.reader.list(mailbox, offset + limit)).slice(offset)
  }

  messageFile(mailbox: string, uid: number): Promise<string> {
    return this.reader.fileOf(mailbox, uid)
  }

  afterRead(): { seen: boolean; flagged: boolean } {
    return { seen: true, flagged: false }
  }

  async search(mailbox: string | null, query: SearchQuery, _scope: 'local' | 'server', limit: number): Promise<{ messages: MessageSummary[]; scope: 'local' | 'server' }> {
    const all = await this.reader.list(mailbox ?? 'INBOX', SCAN_LIMIT)
    return { messages: all.filter((m) => matchesQuery(m, query)).slice(0, limit).map((m) => ({ ...m, mailbox: 'INBOX' })), scope: 'local' }
  }

  private unavailable(): Promise<never> {
    return Promise.reject(new AppError('CACHE_UNAVAILABLE', `Changing local mail needs the cache: ${sqliteProblem()}`))
  }

  setFlags(): Promise<{ pending: boolean }> { return this.unavailable() }
  move(): Promise<{ pending: boolean }> { return this.unavailable() }
  delete(): Promise<{ pending: boolean }> { return this.unavailable() }
  async sync(): Promise<{ started: boolean }> { return { started: true } }
  async close(): Promise<void> {}
}
