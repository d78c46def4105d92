// Lists and reads the local user's Maildir (MAILROOM_HOME/mail/<user>/Maildir) as the "Local" account's INBOX.
import { open, readdir, stat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'
import type { MessageSummary, MessageView } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Logger } from '../log/logger'
import { readDeliveryReport } from './delivery-report'
import { syncUidList } from './maildir-uidlist'

/** The id of the Local account in accounts.list / mail.list / mail.read. */
export const LOCAL_ACCOUNT_ID = 'local'
/** Messages larger than this are not parsed; the reader says so instead. */
export const MAX_LOCAL_READ_BYTES = 10 * 1024 * 1024
/** How much of a file the list reads to find the headers. */
const HEADER_PEEK_BYTES = 64 * 1024
/** Files read at the same time while listing (keeps a big Maildir from running out of file handles). */
const LIST_CONCURRENCY = 16

/** `work` over every item with at most `limit` running at once; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next
      next += 1
      out[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** The Maildir of the user running Mailroom (login name, lower-cased, as local delivery writes it). */
export function localMaildir(mailRoot: string, user: string = userInfo().username): string {
  return join(mailRoot, user.toLowerCase(), 'Maildir')
}

interface MaildirEntry {
  /** new/<name> or cur/<name> */
  path: string
  base: string
  seen: boolean
}

/** `<base>:2,<flags>` → base and flags ('' in new/ or without info). */
export function splitMaildirName(name: string): { base: string; flags: string } {
  const at = name.indexOf(':2,')
  return at === -1 ? { base: name, flags: '' } : { base: name.slice(0, at), flags: name.slice(at + 3) }
}

function addressList(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  return list.flatMap((a) => a.value).map((v) => (v.name ? `${v.name} <${v.address ?? ''}>` : (v.address ?? ''))).filter((s) => s !== '')
}

async function readHead(path: string, bytes: number): Promise<{ data: Buffer; size: number; mtime: number }> {
  const handle = await open(path, 'r')
  try {
    const info = await handle.stat()
    const length = Math.min(info.size, bytes)
    const data = Buffer.alloc(length)
    const { bytesRead } = await handle.read(data, 0, length, 0)
    return { data: data.subarray(0, bytesRead), size: info.size, mtime: info.mtimeMs }
  } finally {
    await handle.close()
  }
}

/** Only the header section of a (possibly cut) message, so the list never parses bodies. */
function headerSection(data: Buffer): Buffer {
  const crlf = data.indexOf('\r\n\r\n')
  const lf = data.indexOf('\n\n')
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : data.length
  return data.subarray(0, end)
}

function dateOf(parsed: ParsedMail): number | null {
  const date = parsed.date
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : null
}

export class MaildirReader {
  /** One uid-map update at a time per process: the list and reads share it. */
  private lock: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly maildir: string,
    private readonly log?: Logger
  ) {}

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work)
    this.lock = run.catch(() => undefined)
    return run
  }

  private async entries(): Promise<Array<MaildirEntry & { uid: number }>> {
    const found: MaildirEntry[] = []
    for (const sub of ['new', 'cur']) {
      let names: string[]
      try {
        names = await readdir(join(this.maildir, sub))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw new AppError('MAILBOX_IO', `could not read ${join(this.maildir, sub)}: ${(error as Error).message}`, { path: join(this.maildir, sub) }, { cause: error })
      }
      for (const name of names) {
        if (name.startsWith('.')) continue
        const { base, flags } = splitMaildirName(name)
        found.push({ path: join(this.maildir, sub, name), base, seen: sub === 'cur' && flags.includes('S') })
      }
    }
    if (found.length === 0) return []
    const uids = await this.serialised(() => syncUidList(this.maildir, [...new Set(found.map((e) => e.base))]))
    return found.flatMap((e) => {
      const uid = uids.get(e.base)
      return uid === undefined ? [] : [{ ...e, uid }]
    })
  }

  private checkMailbox(mailbox: string): void {
    if (mailbox.toUpperCase() !== 'INBOX') throw new AppError('NOT_FOUND', `The Local account has only an INBOX, not "${mailbox}"`, { mailbox })
  }

  private async summary(entry: MaildirEntry & { uid: number }): Promise<MessageSummary | null> {
    try {
      const head = await readHead(entry.path, HEADER_PEEK_BYTES)
      let parsed: ParsedMail | null = null
      try {
        parsed = await simpleParser(headerSection(head.data), { skipHtmlToText: true, skipImageLinks: true })
      } catch (error) {
        this.log?.warn('local', `${entry.path}: unreadable headers: ${(error as Error).message}`)
      }
      return {
        uid: entry.uid,
        subject: parsed?.subject ?? '',
        from: parsed === null ? '' : (addressList(parsed.from)[0] ?? ''),
        date: (parsed === null ? null : dateOf(parsed)) ?? Math.round(head.mtime),
        seen: entry.seen,
        size: head.size
      }
    } catch (error) {
      // Moved or removed between readdir and open (another reader marked it seen): left out of this listing.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      // Unreadable (a directory, no permission): listed as such, so one bad file never hides the others.
      this.log?.warn('local', `${entry.path}: ${(error as Error).message}`)
      return { uid: entry.uid, subject: `(unreadable: ${(error as Error).message})`, from: '', date: null, seen: entry.seen, size: 0 }
    }
  }

  async list(mailbox: string, limit: number): Promise<MessageSummary[]> {
    this.checkMailbox(mailbox)
    const entries = await this.entries()
    const summaries = (await mapLimited(entries, LIST_CONCURRENCY, (e) => this.summary(e))).filter((s): s is MessageSummary => s !== null)
    return summaries.sort((a, b) => (b.date ?? 0) - (a.date ?? 0) || b.uid - a.uid).slice(0, limit)
  }

  /** The current file of message `uid` (the Node 20 path of the Local account parses it like a cached body). */
  async fileOf(mailbox: string, uid: number): Promise<string> {
    this.checkMailbox(mailbox)
    const entry = (await this.entries()).find((e) => e.uid === uid)
    if (entry === undefined) throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
    return entry.path
  }

  async read(mailbox: string, uid: number): Promise<MessageView> {
    this.checkMailbox(mailbox)
    const entry = (await this.entries()).find((e) => e.uid === uid)
    if (entry === undefined) throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
    let data: Buffer
    let size: number
    try {
      size = (await stat(entry.path)).size
      data = (await readHead(entry.path, size > MAX_LOCAL_READ_BYTES ? HEADER_PEEK_BYTES : MAX_LOCAL_READ_BYTES)).data
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
      throw new AppError('MAILBOX_IO', `could not read ${entry.path}: ${(error as Error).message}`, { path: entry.path }, { cause: error })
    }
    const tooLarge = size > MAX_LOCAL_READ_BYTES
    const source = tooLarge ? headerSection(data) : data
    let parsed: ParsedMail
    try {
      parsed = await simpleParser(source, { skipHtmlToText: false, skipImageLinks: true })
    } catch (error) {
      return { uid, subject: '', from: '', to: [], cc: [], date: null, messageId: null, text: `This message could not be read: ${(error as Error).message}`, attachments: [] }
    }
    const view: MessageView = {
      uid,
      subject: parsed.subject ?? '',
      from: addressList(parsed.from)[0] ?? '',
      to: addressList(parsed.to),
      cc: addressList(parsed.cc),
      date: dateOf(parsed),
      messageId: parsed.messageId ?? null,
      text: tooLarge
        ? `This message is too large to show here (${Math.ceil(size / 1024 / 1024)} MB; the limit is ${MAX_LOCAL_READ_BYTES / 1024 / 1024} MB).`
        : (parsed.text ?? ''),
      attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? '(unnamed)', contentType: a.contentType, size: a.size }))
    }
    if (!tooLarge) {
      const contentType = parsed.headers.get('content-type') as { value: string; params: Record<string, string> } | undefined
      try {
        const report = await readDeliveryReport(data, typeof contentType === 'object' ? contentType : undefined)
        if (report !== null) view.report = report
      } catch (error) {
        this.log?.warn('local', `${entry.path}: delivery report not readable: ${(error as Error).message}`)
      }
    }
    return view
  }
}
