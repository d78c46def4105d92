// The Local account in the cache (cache/local.db): Maildir++ folders (INBOX = the Maildir, ".Name" = folder "Name")
// indexed like an IMAP account, so list, search and threads work the same; flags live in the file names (":2,FS").
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { FolderRole } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { syncUidList } from '../local/maildir-uidlist'
import type { Logger } from '../log/logger'
import type { MessageParser, ParsedMessage } from '../parse'
import type { FolderRecord, MessageStore } from './store'
import { bareMessageId, parseReferences } from './threads'

const LOCAL_UIDVALIDITY = 1

const FLAG_LETTERS: Record<string, string> = { '\\Draft': 'D', '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S', '\\Deleted': 'T' }
const LETTER_FLAGS = Object.fromEntries(Object.entries(FLAG_LETTERS).map(([flag, letter]) => [letter, flag])) as Record<string, string>

const ROLE_NAMES: Record<string, FolderRole> = { sent: 'sent', drafts: 'drafts', trash: 'trash', junk: 'junk', spam: 'junk', archive: 'archive' }

export function splitName(name: string): { base: string; letters: string } {
  const at = name.indexOf(':2,')
  return at === -1 ? { base: name, letters: '' } : { base: name.slice(0, at), letters: name.slice(at + 3) }
}

export function flagsFromLetters(letters: string): string[] {
  return [...letters].flatMap((l) => (LETTER_FLAGS[l] !== undefined ? [LETTER_FLAGS[l] as string] : []))
}

/** Maildir info letters for a flag set, keeping letters we do not know (they belong to other programs), sorted. */
export function lettersFor(flags: readonly string[], previous = ''): string {
  const known = new Set(Object.values(FLAG_LETTERS))
  const letters = new Set([...previous].filter((l) => !known.has(l)))
  for (const f of flags) if (FLAG_LETTERS[f] !== undefined) letters.add(FLAG_LETTERS[f] as string)
  return [...letters].sort().join('')
}

interface Entry { file: string; base: string; letters: string }

export class MaildirIndex {
  private readonly seen = new Map<string, string>()
  /** Per folder directory: the refresh running now (the next one starts after it). */
  private readonly refreshing = new Map<string, Promise<unknown>>()

  /** `parser`: the app's parse worker pool; every new file is parsed there (headers, text for search), never here. */
  constructor(readonly maildir: string, readonly store: MessageStore, private readonly parser: MessageParser, private readonly log?: Logger) {}

  folderDir(path: string): string {
    if (path.toUpperCase() === 'INBOX') return this.maildir
    if (path.includes('/') || path.startsWith('.') || path === '') throw new AppError('NOT_FOUND', `There is no folder "${path}" in the Local account`, { mailbox: path })
    return join(this.maildir, `.${path}`)
  }

  /** The folder list: INBOX plus every Maildir++ subfolder. */
  async refreshFolders(): Promise<FolderRecord[]> {
    const folders: FolderRecord[] = [{ path: 'INBOX', name: 'Inbox', parent: null, delimiter: '.', role: 'inbox', selectable: true }]
    let names: string[] = []
    try {
      names = await readdir(this.maildir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError('MAILBOX_IO', `could not read ${this.maildir}: ${(error as Error).message}`, { path: this.maildir })
    }
    for (const name of names.filter((n) => n.startsWith('.') && n.length > 1 && n !== '..').sort()) {
      const isDir = await stat(join(this.maildir, name)).then((s) => s.isDirectory(), () => false)
      if (!isDir) continue
      const path = name.slice(1)
      const dot = path.lastIndexOf('.')
      const leaf = dot === -1 ? path : path.slice(dot + 1)
      folders.push({ path, name: leaf, parent: dot === -1 ? null : path.slice(0, dot), delimiter: '.', role: ROLE_NAMES[leaf.toLowerCase()] ?? null, selectable: true })
    }
    this.store.replaceFolders(folders)
    return folders
  }

  private async entries(dir: string): Promise<Entry[]> {
    const found: Entry[] = []
    for (const sub of ['new', 'cur']) {
      let names: string[]
      try {
        names = await readdir(join(dir, sub))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw new AppError('MAILBOX_IO', `could not read ${join(dir, sub)}: ${(error as Error).message}`, { path: join(dir, sub) })
      }
      for (const name of names) {
        if (name.startsWith('.')) continue
        const { base, letters } = splitName(name)
        found.push({ file: join(dir, sub, name), base, letters: sub === 'new' ? '' : letters })
      }
    }
    return found
  }

  /**
   * Brings one folder's rows up to date with the directory (cheap when new/ and cur/ did not change). Refreshes of
   * one folder run one after the other: two at once would both assign uids and index the same files.
   */
  async refresh(path: string, force = false): Promise<boolean> {
    const dir = this.folderDir(path)
    const run = (): Promise<boolean> => this.refreshNow(path, dir, force)
    const result = (this.refreshing.get(dir) ?? Promise.resolve()).then(run, run)
    const tail = result.catch(() => undefined)
    this.refreshing.set(dir, tail)
    void tail.then(() => { if (this.refreshing.get(dir) === tail) this.refreshing.delete(dir) })
    return result
  }

  private async refreshNow(path: string, dir: string, force: boolean): Promise<boolean> {
    if (this.store.folderState(path) === null) {
      await this.refreshFolders()
      if (this.store.folderState(path) === null) throw new AppError('NOT_FOUND', `There is no folder "${path}" in the Local account`, { mailbox: path })
    }
    const stamp = (await Promise.all(['new', 'cur'].map((s) => stat(join(dir, s)).then((st) => `${st.mtimeMs}:${st.size}`, () => '-')))).join('|')
    if (!force && this.seen.get(path) === stamp && this.store.folderState(path) !== null) return false
    const entries = await this.entries(dir)
    const uids = entries.length === 0 ? new Map<string, number>() : await syncUidList(dir, [...new Set(entries.map((e) => e.base))])
    let changed = false
    const present = new Set<number>()
    for (const entry of entries) {
      const uid = uids.get(entry.base)
      if (uid === undefined) continue
      present.add(uid)
      const row = this.store.row(path, uid)
      const flags = flagsFromLetters(entry.letters)
      if (row !== null) {
        if (row.body_path !== entry.file) {
          this.store.setFlags(path, uid, flags)
          this.store.cache.statement('UPDATE messages SET body_path = ? WHERE folder = ? AND uid = ?').run(entry.file, path, uid)
          changed = true
        }
        continue
      }
      await this.indexFile(path, uid, entry.file, flags)
      changed = true
    }
    const gone = this.store.uids(path).filter((uid) => !present.has(uid))
    if (gone.length > 0) changed = this.store.deleteUids(path, gone) > 0 || changed
    this.store.setFolderState(path, { uidvalidity: LOCAL_UIDVALIDITY, uidnext: null, highestModseq: null, total: present.size }, Date.now())
    this.seen.set(path, stamp)
    return changed
  }

  /**
   * Parses a new file in the worker pool and records it with its text for search. A file the parser gives up on
   * (damaged, hangs, crashes its worker) is listed as "(unreadable message)"; a file gone meanwhile is skipped.
   */
  private async indexFile(folder: string, uid: number, file: string, flags: string[]): Promise<void> {
    let parsed: ParsedMessage | null = null
    try {
      parsed = await this.parser.parse(file)
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return
      this.log?.warn('local', `${file}: unreadable message: ${(error as Error).message}`)
    }
    const info = parsed === null ? await stat(file).catch(() => null) : null
    if (parsed === null && info === null) return
    const date = parsed?.date ?? (info === null ? null : Math.round(info.mtimeMs))
    this.store.cache.transaction(() => {
      this.store.upsert({
        folder, uid, uidvalidity: LOCAL_UIDVALIDITY, modseq: null, flags,
        subject: parsed === null ? '(unreadable message)' : parsed.subject,
        fromDisplay: parsed?.from ?? '',
        fromAddress: parsed?.fromAddress?.toLowerCase() ?? null,
        to: parsed?.to ?? [],
        cc: parsed?.cc ?? [],
        date,
        messageId: bareMessageId(parsed?.messageId),
        inReplyTo: bareMessageId(parsed?.inReplyTo),
        references: parseReferences(parsed?.references),
        size: parsed?.size ?? info?.size ?? 0,
        hasAttachments: parsed?.hasAttachments ?? false,
        bodyPath: file
      })
      if (parsed !== null) this.store.setBody(folder, uid, { path: file, preview: parsed.preview, text: parsed.textForIndex, hasAttachments: parsed.hasAttachments })
    })
  }

  private fileOf(folder: string, uid: number): string {
    const row = this.store.row(folder, uid)
    if (row === null || typeof row.body_path !== 'string') throw new AppError('NOT_FOUND', `Message ${uid} is no longer in the Local ${folder}`, { uid, mailbox: folder })
    return row.body_path
  }

  /** Renames the files to carry the new flags (into cur/, as a Maildir reader that saw them should). */
  async setFlags(folder: string, uids: readonly number[], add: readonly string[], remove: readonly string[]): Promise<void> {
    await this.refresh(folder)
    const dir = this.folderDir(folder)
    for (const uid of uids) {
      const file = this.fileOf(folder, uid)
      const name = file.slice(file.lastIndexOf('/') + 1)
      const { base, letters } = splitName(name)
      const flags = new Set(flagsFromLetters(file.includes('/new/') ? '' : letters))
      for (const f of add) flags.add(f)
      for (const f of remove) flags.delete(f)
      const target = join(dir, 'cur', `${base}:2,${lettersFor([...flags], letters)}`)
      if (target !== file) await rename(file, target).catch((error: unknown) => { throw new AppError('MAILBOX_IO', `could not rename ${file}: ${(error as Error).message}`, { path: file }) })
    }
    await this.refresh(folder, true)
  }

  async move(folder: string, uids: readonly number[], target: string): Promise<void> {
    await this.refresh(folder)
    const targetDir = this.folderDir(target)
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(targetDir, sub), { recursive: true, mode: 0o700 })
    for (const uid of uids) {
      const file = this.fileOf(folder, uid)
      await rename(file, join(targetDir, 'cur', file.slice(file.lastIndexOf('/') + 1).replace(/^([^:]*)$/, '$1:2,')))
    }
    await this.refresh(folder, true)
    await this.refreshFolders()
    await this.refresh(target, true)
  }

  async remove(folder: string, uids: readonly number[]): Promise<void> {
    await this.refresh(folder)
    for (const uid of uids) await unlink(this.fileOf(folder, uid)).catch(() => undefined)
    await this.refresh(folder, true)
  }

  /** The current file of a message (after a refresh: another reader may have renamed it). */
  async file(folder: string, uid: number): Promise<string> {
    await this.refresh(folder)
    return this.fileOf(folder, uid)
  }
}
