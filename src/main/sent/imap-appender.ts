// The IMAP side of Sent copies (imapflow): find the account's Sent mailbox (special-use \Sent, else one named
// "Sent", created with \Sent where the server allows it), look for an earlier copy by Message-ID, APPEND with \Seen.
import type { ImapFlow, ListResponse } from 'imapflow'
import { AppError } from '../../shared/result'
import type { AccountConfig } from '../config/schema'
import { connectImap, imapError } from '../imap/connect'
import type { AppendRequest, AppendResult, SentAppender, SentSession } from './types'

export const FALLBACK_SENT_NAME = 'Sent'

/** The Sent mailbox among a LIST answer: \Sent reported by the server, then one imapflow guessed by name, then "Sent". */
export function pickSentMailbox(list: Pick<ListResponse, 'path' | 'specialUse' | 'specialUseSource' | 'flags'>[]): string | null {
  const sent = list.filter((m) => m.specialUse === '\\Sent' && !m.flags?.has('\\Noselect'))
  const byServer = sent.find((m) => m.specialUseSource === 'extension' || m.specialUseSource === undefined)
  if (byServer !== undefined) return byServer.path
  const named = list.find((m) => m.path.toLowerCase() === FALLBACK_SENT_NAME.toLowerCase() && !m.flags?.has('\\Noselect'))
  if (named !== undefined) return named.path
  return sent[0]?.path ?? null
}

interface RawExec {
  exec(command: string, attributes: unknown[]): Promise<{ next(): void }>
}

/** Creates "Sent", marked \Sent when the server offers CREATE-SPECIAL-USE (RFC 6154), and subscribes it. */
async function createSentMailbox(client: ImapFlow): Promise<string> {
  let created = false
  if (client.capabilities.has('CREATE-SPECIAL-USE')) {
    try {
      const response = await (client as unknown as RawExec).exec('CREATE', [
        { type: 'ATOM', value: FALLBACK_SENT_NAME }, [{ type: 'ATOM', value: 'USE' }, [{ type: 'ATOM', value: '\\Sent' }]]
      ])
      response.next()
      created = true
    } catch {
      // Refused with USE (e.g. ALREADYEXISTS or USEATTR): a plain CREATE below says which.
    }
  }
  if (!created) await client.mailboxCreate(FALLBACK_SENT_NAME)
  await client.mailboxSubscribe(FALLBACK_SENT_NAME).catch(() => false)
  return FALLBACK_SENT_NAME
}

class ImapSentSession implements SentSession {
  private mailbox: string | null = null

  constructor(private readonly account: AccountConfig, private readonly client: ImapFlow) {}

  async append(request: AppendRequest): Promise<AppendResult> {
    try {
      const mailbox = await this.sentMailbox()
      if (request.checkExisting && request.messageId !== null && (await this.contains(mailbox, request.messageId))) {
        return { outcome: 'present', mailbox }
      }
      const result = await this.client.append(mailbox, request.raw, ['\\Seen'], request.date)
      if (result === false) throw new AppError('IMAP_ERROR', `The server did not accept the copy into "${mailbox}"`, { account: this.account.id })
      return { outcome: 'appended', mailbox }
    } catch (error) {
      throw imapError(this.account, error)
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.logout()
    } catch {
      this.client.close()
    }
  }

  private async sentMailbox(): Promise<string> {
    if (this.mailbox !== null) return this.mailbox
    // accounts[].sentMailbox overrides the special-use lookup.
    if (this.account.sentMailbox !== undefined) return (this.mailbox = this.account.sentMailbox)
    const found = pickSentMailbox(await this.client.list())
    this.mailbox = found ?? (await createSentMailbox(this.client))
    return this.mailbox
  }

  private async contains(mailbox: string, messageId: string): Promise<boolean> {
    const lock = await this.client.getMailboxLock(mailbox, { readOnly: true })
    try {
      const uids = await this.client.search({ header: { 'message-id': messageId } }, { uid: true })
      return Array.isArray(uids) && uids.length > 0
    } finally {
      lock.release()
    }
  }
}

/** The real appender: one imapflow session per account and run (connectImap maps login/connect failures). */
export function createImapAppender(): SentAppender {
  return {
    async open(account) {
      return new ImapSentSession(account, await connectImap(account))
    }
  }
}
