// Lists and reads the local user's Maildir (MAILROOM_HOME/mail/<user>/Maildir) as the "Local" account's INBOX.
import { readdir, stat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import type { MessageSummary, MessageView } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { parseMessageFile } from '../imap/message-parse'
import type { Logger } from '../log/logger'
import type { MessageParser } from '../parse'
import { syncUidList } from './maildir-uidlist'

/** The id of the Local account in accounts.list / mail.list / mail.read. */
export const LOCAL_ACCOUNT_ID = 'local'
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

/** What the list keeps of a parsed file, so each file is parsed (in the worker pool) once while it is unchanged. */
interface KnownFile { stamp: string; summary: Omit<MessageSummary, 'uid' | 'seen'> }

export class MaildirReader {
  /** One uid-map update at a time per process: the list and reads share it. */
  private lock: Promise<unknown> = Promise.resolve()

  /** Summaries by file path (a rename to cur/ is a new path: parsed again, rare). */
  private readonly known = new Map<string, KnownFile>()

  /** `parser`: the app's parse worker pool; files are parsed there, never on this thread. */
  constructor(
    private readonly maildir: string,
    private readonly parser: MessageParser,
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
      const info = await stat(entry.path)
      if (!info.isFile()) throw new AppError('MAILBOX_IO', `${info.isDirectory() ? 'EISDIR: a directory' : 'not a regular file'}, not a message`, { path: entry.path })
      const stamp = `${info.mtimeMs}:${info.size}`
      let known = this.known.get(entry.path)
      if (known?.stamp !== stamp) {
        let summary: KnownFile['summary']
        try {
          const parsed = await this.parser.parse(entry.path)
          summary = { subject: parsed.subject, from: parsed.from, date: parsed.date ?? Math.round(info.mtimeMs), size: info.size, hasAttachments: parsed.hasAttachments }
        } catch (error) {
          if (error instanceof AppError && error.code === 'NOT_FOUND') return null
          this.log?.warn('local', `${entry.path}: unreadable message: ${(error as Error).message}`)
          summary = { subject: '(unreadable message)', from: '', date: Math.round(info.mtimeMs), size: info.size }
        }
        known = { stamp, summary }
        this.known.set(entry.path, known)
      }
      return { uid: entry.uid, ...known.summary, seen: entry.seen }
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
    const present = new Set(entries.map((e) => e.path))
    for (const path of this.known.keys()) if (!present.has(path)) this.known.delete(path)
    return summaries.sort((a, b) => (b.date ?? 0) - (a.date ?? 0) || b.uid - a.uid).slice(0, limit)
  }

  /** The current file of message `uid` (the Node 20 path of the Local account parses it like a cached body). */
  async fileOf(mailbox: string, uid: number): Promise<string> {
    this.checkMailbox(mailbox)
    const entry = (await this.entries()).find((e) => e.uid === uid)
    if (entry === undefined) throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
    return entry.path
  }

  /** The reader's view of message `uid`, parsed in the worker pool (a message the parser gives up on says so). */
  async read(mailbox: string, uid: number): Promise<MessageView> {
    const path = await this.fileOf(mailbox, uid)
    const info = await stat(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
      throw new AppError('MAILBOX_IO', `could not read ${path}: ${(error as Error).message}`, { path }, { cause: error })
    })
    if (!info.isFile()) throw new AppError('MAILBOX_IO', `could not read ${path}: it is not a file`, { path })
    try {
      return { ...(await parseMessageFile(this.parser, path)).view, uid }
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local INBOX`, { uid })
      throw error
    }
  }
}
