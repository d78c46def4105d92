// Stable UIDs for Maildir messages: Maildir/mailroom-uidlist maps each message's base file name to a positive integer.
// Format: the next uid on the first line, then `<uid> <base name without :2,flags>` per line; rewritten atomically (tmp + rename).
import { randomBytes } from 'node:crypto'
import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const UIDLIST_FILE = 'mailroom-uidlist'

export interface UidList {
  next: number
  /** base name → uid */
  uids: Map<string, number>
}

/** Parses the file; lines that do not fit are skipped, and `next` always stays above every uid in use. */
export function parseUidList(text: string): UidList {
  const lines = text.split('\n')
  const first = Number.parseInt(lines[0] ?? '', 10)
  const uids = new Map<string, number>()
  let highest = 0
  for (const line of lines.slice(1)) {
    const match = /^(\d+) (\S+)$/.exec(line.trim())
    if (match === null) continue
    const uid = Number(match[1])
    const base = match[2] as string
    if (!Number.isSafeInteger(uid) || uid < 1 || uids.has(base)) continue
    uids.set(base, uid)
    highest = Math.max(highest, uid)
  }
  const next = Math.max(Number.isSafeInteger(first) && first > 0 ? first : 1, highest + 1)
  return { next, uids }
}

export function formatUidList(list: UidList): string {
  const entries = [...list.uids.entries()].sort((a, b) => a[1] - b[1])
  return `${list.next}\n${entries.map(([base, uid]) => `${uid} ${base}`).join('\n')}${entries.length > 0 ? '\n' : ''}`
}

/** Per uidlist file: one read-modify-write at a time in this process (the UI asks for folders and lists at once). */
const pending = new Map<string, Promise<unknown>>()

/**
 * Gives every base name in `present` a uid (new ones in name order, which is arrival order for Maildir names),
 * forgets names no longer present, and writes the file when something changed. Returns base name → uid.
 */
export function syncUidList(maildir: string, present: readonly string[]): Promise<Map<string, number>> {
  const path = join(maildir, UIDLIST_FILE)
  const run = (): Promise<Map<string, number>> => updateUidList(path, present)
  const result = (pending.get(path) ?? Promise.resolve()).then(run, run)
  const tail = result.catch(() => undefined)
  pending.set(path, tail)
  void tail.then(() => { if (pending.get(path) === tail) pending.delete(path) })
  return result
}

async function updateUidList(path: string, present: readonly string[]): Promise<Map<string, number>> {
  let text = ''
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const list = parseUidList(text)
  const wanted = new Set(present)
  let changed = text === ''
  for (const base of [...list.uids.keys()]) {
    if (!wanted.has(base)) {
      list.uids.delete(base)
      changed = true
    }
  }
  for (const base of [...present].sort()) {
    if (list.uids.has(base)) continue
    list.uids.set(base, list.next)
    list.next += 1
    changed = true
  }
  if (changed) {
    // Unique per write: another process (the CLI, a second app) may be writing the same file right now.
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await writeFile(tmp, formatUidList(list), { mode: 0o600 })
      await rename(tmp, path)
    } catch (error) {
      await unlink(tmp).catch(() => undefined)
      throw error
    }
  }
  return list.uids
}
