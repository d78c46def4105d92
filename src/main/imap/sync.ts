// Sync of one account into the cache: the folder tree with special-use roles, then per folder UIDVALIDITY check,
// new messages (initial sync newest first in batches), flag changes (CONDSTORE changedSince, else a window of the
// newest UIDs) and expunges (QRESYNC VANISHED, else a UID SEARCH ALL diff when the counts disagree).
import type { FetchMessageObject, FetchQueryObject, ImapFlow, ListResponse, MessageStructureObject } from 'imapflow'
import type { FolderRole } from '../../shared/contract'
import type { FolderRecord, MessageRecord, MessageStore } from '../cache/store'
import { bareMessageId, parseReferences } from '../cache/threads'

/** Headers fetched per FETCH command during the initial sync. */
export const SYNC_BATCH = 500
/** Without CONDSTORE, flags are re-read for this many of the newest messages on every sync. */
export const FLAG_WINDOW = 1000

export interface SyncProgress {
  (mailbox: string, done: number, total: number): void
}

export interface FolderSyncResult {
  mailbox: string
  /** Messages new to the cache, oldest first (not kept for an initial sync: only counted). */
  added: MessageRecord[]
  addedCount: number
  removed: number
  flagsChanged: number
  reset: boolean
}

export interface SyncOptions {
  /** Ignore CONDSTORE/QRESYNC (tests of the UID-window path, servers with broken modseq). */
  windowsOnly?: boolean
  progress?: SyncProgress
  now: number
}

const SPECIAL_USE: Record<string, FolderRole> = {
  '\\Inbox': 'inbox', '\\Sent': 'sent', '\\Drafts': 'drafts', '\\Trash': 'trash', '\\Junk': 'junk', '\\Archive': 'archive', '\\All': 'all', '\\Flagged': 'flagged'
}

export const HEADER_QUERY: FetchQueryObject = { uid: true, flags: true, envelope: true, size: true, internalDate: true, bodyStructure: true, headers: ['references'] }

export function folderRecord(entry: Pick<ListResponse, 'path' | 'name' | 'parentPath' | 'delimiter' | 'flags' | 'specialUse'>): FolderRecord {
  const role = entry.path.toUpperCase() === 'INBOX' ? 'inbox' : (entry.specialUse !== undefined ? SPECIAL_USE[entry.specialUse] ?? null : null)
  return {
    path: entry.path,
    name: entry.name,
    parent: entry.parentPath === '' || entry.parentPath === undefined ? null : entry.parentPath,
    delimiter: entry.delimiter ?? null,
    role,
    selectable: !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent')
  }
}

export async function syncFolderList(client: ImapFlow, store: MessageStore): Promise<FolderRecord[]> {
  const folders = (await client.list()).map(folderRecord)
  store.replaceFolders(folders)
  return folders
}

/** True when any part is an attachment (a disposition of attachment, or a named non-text part). */
export function hasAttachment(node: MessageStructureObject | undefined): boolean {
  if (node === undefined) return false
  if (node.childNodes !== undefined && node.childNodes.length > 0) return node.childNodes.some(hasAttachment)
  if (node.disposition === 'attachment') return true
  const named = node.dispositionParameters?.filename ?? node.parameters?.name
  return named !== undefined && node.disposition !== 'inline' && !/^text\//i.test(node.type ?? '')
}

function display(a: { name?: string; address?: string } | undefined): string {
  if (a === undefined) return ''
  return a.name !== undefined && a.name !== '' ? `${a.name} <${a.address ?? ''}>` : (a.address ?? '')
}

export function recordOf(folder: string, uidvalidity: number, msg: FetchMessageObject): MessageRecord {
  const env = msg.envelope
  const from = env?.from?.[0]
  const date = env?.date instanceof Date && !Number.isNaN(env.date.getTime()) ? env.date
    : msg.internalDate instanceof Date ? msg.internalDate : typeof msg.internalDate === 'string' ? new Date(msg.internalDate) : null
  const refsHeader = msg.headers?.toString('utf8').replace(/^references:/i, '') ?? ''
  return {
    folder,
    uid: msg.uid,
    uidvalidity,
    modseq: msg.modseq === undefined ? null : msg.modseq.toString(),
    flags: [...(msg.flags ?? [])],
    subject: env?.subject ?? '',
    fromDisplay: display(from),
    fromAddress: from?.address?.toLowerCase() ?? null,
    to: (env?.to ?? []).map(display).filter((s) => s !== ''),
    cc: (env?.cc ?? []).map(display).filter((s) => s !== ''),
    date: date === null || Number.isNaN(date.getTime()) ? null : date.getTime(),
    messageId: bareMessageId(env?.messageId),
    inReplyTo: bareMessageId(env?.inReplyTo),
    references: parseReferences(refsHeader),
    size: msg.size ?? 0,
    hasAttachments: hasAttachment(msg.bodyStructure)
  }
}

/** "1:3,7,9:10" for a list of UIDs. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length; i += 1) {
    const start = sorted[i] as number
    let end = start
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number
    parts.push(start === end ? String(start) : `${start}:${end}`)
  }
  return parts.join(',')
}

/** Fetches the headers of `range` (UIDs above minUid) as records, without writing them. */
async function fetchRecords(client: ImapFlow, folder: string, uidvalidity: number, range: string, minUid: number): Promise<MessageRecord[]> {
  const batch: MessageRecord[] = []
  for await (const msg of client.fetch(range, HEADER_QUERY, { uid: true })) {
    if (msg.uid > minUid) batch.push(recordOf(folder, uidvalidity, msg))
  }
  return batch
}

function writeRecords(store: MessageStore, batch: readonly MessageRecord[], fresh: boolean): void {
  store.cache.transaction(() => {
    for (const record of batch) store.upsert(record, fresh)
  })
}

/** Fetches headers of `range` (UIDs above minUid) into the cache in one transaction; returns them. */
async function fetchInto(client: ImapFlow, store: MessageStore, folder: string, uidvalidity: number, range: string, minUid: number): Promise<MessageRecord[]> {
  const batch = await fetchRecords(client, folder, uidvalidity, range, minUid)
  writeRecords(store, batch, false)
  return batch
}

/**
 * The initial sync's batches, newest first. Batch n is written while the FETCH of batch n + 1 is already on its way,
 * so the server prepares the next answer while SQLite works. Returns the number of messages written.
 */
async function fetchInitial(client: ImapFlow, store: MessageStore, folder: string, uidvalidity: number, newestFirst: readonly number[], progress?: SyncProgress): Promise<number> {
  let written = 0
  let previous: MessageRecord[] | null = null
  const flush = (batch: MessageRecord[]): void => {
    writeRecords(store, batch, true)
    written += batch.length
    progress?.(folder, written, newestFirst.length)
  }
  for (let i = 0; i < newestFirst.length; i += SYNC_BATCH) {
    const next = fetchRecords(client, folder, uidvalidity, uidSet(newestFirst.slice(i, i + SYNC_BATCH)), 0)
    next.catch(() => undefined) // awaited below; a failed write in between must not leave it unhandled
    if (previous !== null) {
      // One turn of the event loop lets imapflow send the FETCH before the (synchronous) write starts.
      await new Promise((resolve) => setImmediate(resolve))
      flush(previous)
    }
    previous = await next
  }
  if (previous !== null) flush(previous)
  return written
}

/** Syncs one selectable folder; takes the folder's mailbox lock for the duration. */
export async function syncFolder(client: ImapFlow, store: MessageStore, path: string, options: SyncOptions): Promise<FolderSyncResult> {
  const result: FolderSyncResult = { mailbox: path, added: [], addedCount: 0, removed: 0, flagsChanged: 0, reset: false }
  const before = store.folderState(path)
  const useModseq = options.windowsOnly !== true
  const qresync = useModseq && client.enabled.has('QRESYNC') && before?.highestModseq != null && before.uidvalidity !== null
  const vanished: number[] = []
  const onExpunge = (event: { path: string; uid?: number }): void => {
    if (event.path === path && event.uid !== undefined) vanished.push(event.uid)
  }
  client.on('expunge', onExpunge)
  const lock = await client.getMailboxLock(path, qresync ? { changedSince: before?.highestModseq ?? undefined, uidValidity: before?.uidvalidity ?? undefined } : {})
  try {
    const mailbox = client.mailbox
    if (mailbox === false) throw new Error(`${path} could not be opened`)
    const uidvalidity = Number(mailbox.uidValidity)
    let state = before
    if (state !== null && state.uidvalidity !== null && state.uidvalidity !== uidvalidity) {
      store.resetFolder(path)
      result.reset = true
      state = store.folderState(path)
    }
    const known = store.maxUid(path)
    if (known === 0) {
      // Initial sync: every UID, newest first, in batches, so the top of the list fills first.
      const all = mailbox.exists === 0 ? [] : ((await client.search({ all: true }, { uid: true })) || [])
      const newestFirst = [...all].sort((a, b) => b - a)
      options.progress?.(path, 0, newestFirst.length)
      result.addedCount += await fetchInitial(client, store, path, uidvalidity, newestFirst, options.progress)
    } else {
      if (mailbox.uidNext > known + 1) result.added.push(...await fetchInto(client, store, path, uidvalidity, `${known + 1}:*`, known))
      result.flagsChanged = await syncFlags(client, store, path, state?.highestModseq ?? null, useModseq)
      for (const uid of vanished) result.removed += store.deleteUids(path, [uid])
      if (store.count(path) !== mailbox.exists) {
        const server = new Set(mailbox.exists === 0 ? [] : ((await client.search({ all: true }, { uid: true })) || []))
        const gone = store.uids(path).filter((uid) => !server.has(uid))
        result.removed += store.deleteUids(path, gone)
        const missing = [...server].filter((uid) => store.row(path, uid) === null)
        if (missing.length > 0) result.added.push(...await fetchInto(client, store, path, uidvalidity, uidSet(missing), 0))
      }
    }
    store.setFolderState(path, {
      uidvalidity,
      uidnext: mailbox.uidNext,
      highestModseq: useModseq && mailbox.highestModseq !== undefined ? mailbox.highestModseq.toString() : null,
      total: mailbox.exists
    }, options.now)
  } finally {
    lock.release()
    client.off('expunge', onExpunge)
  }
  result.added.sort((a, b) => a.uid - b.uid)
  result.addedCount += result.added.length
  return result
}

/** Flag changes since the last sync: CONDSTORE's CHANGEDSINCE when the server keeps modseqs, else the newest window. */
async function syncFlags(client: ImapFlow, store: MessageStore, path: string, lastModseq: string | null, useModseq: boolean): Promise<number> {
  const mailbox = client.mailbox
  if (mailbox === false) return 0
  let range: string
  let options: { uid: true; changedSince?: bigint }
  if (useModseq && lastModseq !== null && mailbox.highestModseq !== undefined && mailbox.noModseq !== true) {
    if (mailbox.highestModseq <= BigInt(lastModseq)) return 0
    range = '1:*'
    options = { uid: true, changedSince: BigInt(lastModseq) }
  } else {
    const uids = store.uids(path)
    const low = uids[Math.max(0, uids.length - FLAG_WINDOW)]
    if (low === undefined) return 0
    range = `${low}:*`
    options = { uid: true }
  }
  let changed = 0
  const updates: { uid: number; flags: string[]; modseq: string | null }[] = []
  for await (const msg of client.fetch(range, { uid: true, flags: true }, options)) {
    updates.push({ uid: msg.uid, flags: [...(msg.flags ?? [])], modseq: msg.modseq?.toString() ?? null })
  }
  store.cache.transaction(() => {
    for (const u of updates) {
      const before = store.flagsOf(path, u.uid)
      if (before === null) continue
      if ([...before].sort().join(' ') !== [...u.flags].sort().join(' ')) changed += 1
      store.setFlags(path, u.uid, u.flags, u.modseq)
    }
  })
  return changed
}
