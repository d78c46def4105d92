// The server side of drafts: the MIME form of a draft (built like compose), and its APPEND with \Draft to the
// account's Drafts mailbox (the configured one, else special-use \Drafts, else "Drafts", created when missing),
// removing the previous copy by UID (APPENDUID) or, without one, by SEARCH HEADER Message-ID.
import type { ImapFlow, ListResponse } from 'imapflow'
import MailComposer from 'nodemailer/lib/mail-composer'
import type { AccountConfig } from '../config/schema'
import { connectImap, imapError } from '../imap/connect'
import type { DraftRecord, ServerCopy } from './store'

export const FALLBACK_DRAFTS_NAME = 'Drafts'

/** The Drafts mailbox among a LIST answer: \Drafts from the server, then one named Drafts, then any \Drafts guess. */
export function pickDraftsMailbox(list: Pick<ListResponse, 'path' | 'specialUse' | 'specialUseSource' | 'flags'>[]): string | null {
  const usable = list.filter((m) => !m.flags?.has('\\Noselect'))
  const marked = usable.filter((m) => m.specialUse === '\\Drafts')
  const byServer = marked.find((m) => m.specialUseSource === 'extension' || m.specialUseSource === undefined)
  if (byServer !== undefined) return byServer.path
  const named = usable.find((m) => m.path.toLowerCase() === FALLBACK_DRAFTS_NAME.toLowerCase())
  return named?.path ?? marked[0]?.path ?? null
}

/** The RFC 5322 form of a draft; addresses as typed (a draft may be unfinished), Bcc kept (it is the user's own copy). */
export async function draftMime(record: DraftRecord, messageId: string): Promise<Buffer> {
  const list = (values: string[]): string[] | undefined => (values.length > 0 ? values : undefined)
  const composer = new MailComposer({
    from: record.from,
    to: list(record.to),
    cc: list(record.cc),
    bcc: list(record.bcc),
    subject: record.subject,
    text: record.text,
    messageId,
    date: new Date(record.updatedAt),
    textEncoding: 'quoted-printable',
    headers: { 'User-Agent': 'Mailroom', 'X-Mailroom-Draft': record.id },
    ...(record.inReplyTo !== null ? { inReplyTo: record.inReplyTo } : {}),
    ...(record.references.length > 0 ? { references: record.references } : {})
  })
  const mail = composer.compile()
  ;(mail as unknown as { keepBcc: boolean }).keepBcc = true
  return mail.build()
}

async function draftsMailbox(client: ImapFlow, account: AccountConfig): Promise<string> {
  if (account.draftsMailbox !== undefined) return account.draftsMailbox
  const found = pickDraftsMailbox(await client.list())
  if (found !== null) return found
  await client.mailboxCreate(FALLBACK_DRAFTS_NAME)
  await client.mailboxSubscribe(FALLBACK_DRAFTS_NAME).catch(() => false)
  return FALLBACK_DRAFTS_NAME
}

/** Removes an earlier server copy: by UID when the mailbox is unchanged (same UIDVALIDITY), else by Message-ID. */
async function removeCopy(client: ImapFlow, copy: ServerCopy): Promise<void> {
  const lock = await client.getMailboxLock(copy.mailbox)
  try {
    const mailbox = client.mailbox === false ? null : client.mailbox
    const sameMailbox = mailbox !== null && copy.uidValidity !== null && String(mailbox.uidValidity) === copy.uidValidity
    let uids: number[] = []
    if (copy.uid !== null && sameMailbox) uids = [copy.uid]
    else {
      const found = await client.search({ header: { 'message-id': copy.messageId } }, { uid: true })
      uids = Array.isArray(found) ? found : []
    }
    if (uids.length > 0) await client.messageDelete(uids.join(','), { uid: true })
  } finally {
    lock.release()
  }
}

export interface DraftServer {
  /** Uploads this version and removes `previous`; returns the new copy. */
  upload(account: AccountConfig, record: DraftRecord, messageId: string): Promise<ServerCopy>
  /** Removes the copy of a deleted draft. */
  remove(account: AccountConfig, copy: ServerCopy): Promise<void>
}

async function withSession<T>(account: AccountConfig, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = await connectImap(account)
  try {
    return await work(client)
  } catch (error) {
    throw imapError(account, error)
  } finally {
    await client.logout().catch(() => client.close())
  }
}

export function createImapDraftServer(): DraftServer {
  return {
    upload: (account, record, messageId) => withSession(account, async (client) => {
      const mailbox = await draftsMailbox(client, account)
      const raw = await draftMime(record, messageId)
      const result = await client.append(mailbox, raw, ['\\Draft', '\\Seen'], new Date(record.updatedAt))
      if (result === false) throw new Error(`the server did not accept the draft into "${mailbox}"`)
      // The new copy is safe: only now does the old one go (a failure here leaves two copies, never none).
      if (record.server !== null) await removeCopy(client, record.server).catch(() => undefined)
      return { mailbox, uid: result.uid ?? null, uidValidity: result.uidValidity !== undefined ? String(result.uidValidity) : null, messageId }
    }),
    remove: (account, copy) => withSession(account, (client) => removeCopy(client, copy))
  }
}
