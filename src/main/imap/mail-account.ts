// What the mail section asks of any account (IMAP with its cache, the Local Maildir): one interface, two kinds.
import type { FolderInfo, MessageSummary } from '../../shared/contract'
import type { ParsedMessage } from './message-parse'
import type { SearchQuery } from '../cache/search-query'

export interface MailAccount {
  folders(): Promise<FolderInfo[]>
  list(mailbox: string, offset: number, limit: number): Promise<MessageSummary[]>
  /** The message's source file (downloaded and cached first for IMAP). */
  messageFile(mailbox: string, uid: number): Promise<string>
  /** Seen/flagged as the cache knows them; records the parsed body (preview, full-text index). */
  afterRead(mailbox: string, uid: number, file: string, parsed: ParsedMessage): { seen: boolean; flagged: boolean }
  search(mailbox: string | null, query: SearchQuery, scope: 'local' | 'server', limit: number): Promise<{ messages: MessageSummary[]; scope: 'local' | 'server' }>
  setFlags(mailbox: string, uids: number[], add: string[], remove: string[]): Promise<{ pending: boolean }>
  move(mailbox: string, uids: number[], target: string): Promise<{ pending: boolean }>
  delete(mailbox: string, uids: number[]): Promise<{ pending: boolean }>
  sync(mailbox?: string): Promise<{ started: boolean }>
  start(): void
  close(): Promise<void>
}
