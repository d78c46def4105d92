// Lists and reads messages of one mailbox per account with imapflow (walking skeleton: no cache yet).
import type { ImapFlow } from 'imapflow'
import { simpleParser, type AddressObject } from 'mailparser'
import type { MessageSummary, MessageView } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { AccountConfig } from '../config/schema'
import type { Logger } from '../log/logger'
import { connectImap, imapError } from './connect'

/** Bodies above this are not parsed in the main process (the attachment streaming issue lifts it). */
const MAX_READ_BYTES = 50 * 1024 * 1024

function addressList(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  return list.flatMap((a) => a.value).map((v) => (v.name ? `${v.name} <${v.address ?? ''}>` : (v.address ?? ''))).filter((s) => s !== '')
}

export class ImapReader {
  private readonly sessions = new Map<string, Promise<ImapFlow>>()

  constructor(
    private readonly accounts: readonly AccountConfig[],
    private readonly log: Logger
  ) {}

  private account(id: string): AccountConfig {
    const account = this.accounts.find((a) => a.id === id)
    if (account === undefined) throw new AppError('ACCOUNT_NOT_FOUND', `There is no account "${id}" in config.json`, { account: id })
    return account
  }

  /** One session per account, reconnected when the server or network dropped it. */
  private async session(account: AccountConfig): Promise<ImapFlow> {
    const existing = this.sessions.get(account.id)
    if (existing !== undefined) {
      const client = await existing.catch(() => null)
      if (client?.usable === true) return client
    }
    const fresh = connectImap(account)
    this.sessions.set(account.id, fresh)
    fresh.catch(() => this.sessions.delete(account.id))
    return fresh
  }

  private async withMailbox<T>(accountId: string, mailbox: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const account = this.account(accountId)
    const client = await this.session(account)
    try {
      const lock = await client.getMailboxLock(mailbox, { readOnly: true })
      try {
        return await work(client)
      } finally {
        lock.release()
      }
    } catch (error) {
      this.log.warn('imap', `${account.id}: ${mailbox}: ${(error as Error).message}`)
      throw imapError(account, error)
    }
  }

  async list(accountId: string, mailbox: string, limit: number): Promise<MessageSummary[]> {
    return this.withMailbox(accountId, mailbox, async (client) => {
      const exists = client.mailbox === false ? 0 : client.mailbox.exists
      if (exists === 0) return []
      const first = Math.max(1, exists - limit + 1)
      const out: MessageSummary[] = []
      for await (const msg of client.fetch(`${first}:*`, { uid: true, envelope: true, flags: true, size: true, internalDate: true })) {
        const from = msg.envelope?.from?.[0]
        const date = msg.envelope?.date ?? msg.internalDate
        out.push({
          uid: msg.uid,
          subject: msg.envelope?.subject ?? '',
          from: from === undefined ? '' : from.name ? `${from.name} <${from.address ?? ''}>` : (from.address ?? ''),
          date: date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : null,
          seen: msg.flags?.has('\\Seen') ?? false,
          size: msg.size ?? 0
        })
      }
      return out.sort((a, b) => b.uid - a.uid)
    })
  }

  async read(accountId: string, mailbox: string, uid: number): Promise<MessageView> {
    return this.withMailbox(accountId, mailbox, async (client) => {
      const msg = await client.fetchOne(String(uid), { uid: true, size: true, source: true }, { uid: true })
      if (msg === false || msg.source === undefined) throw new AppError('NOT_FOUND', `Message ${uid} is no longer in ${mailbox}`, { uid })
      if (msg.source.length > MAX_READ_BYTES) throw new AppError('IMAP_ERROR', `Message ${uid} is larger than ${MAX_READ_BYTES / 1024 / 1024} MB and cannot be shown yet`, { uid })
      const parsed = await simpleParser(msg.source, { skipHtmlToText: false, skipImageLinks: true })
      return {
        uid,
        subject: parsed.subject ?? '',
        from: addressList(parsed.from)[0] ?? '',
        to: addressList(parsed.to),
        cc: addressList(parsed.cc),
        date: parsed.date === undefined ? null : parsed.date.getTime(),
        messageId: parsed.messageId ?? null,
        // Plain text only at this stage: HTML is shown as its text rendering, never as markup.
        text: parsed.text ?? '',
        attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? '(unnamed)', contentType: a.contentType, size: a.size }))
      }
    })
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(sessions.map(async (p) => {
      const client = await p.catch(() => null)
      await client?.logout().catch(() => client.close())
    }))
  }
}
