// Local drafts: one JSON file per draft in MAILROOM_HOME/drafts/<id>.json, written tmp → fsync → rename, so a crash
// keeps either the previous or the new version. The record also remembers the server copy (mailbox, UID, Message-ID)
// and whether the server still has to catch up (pending), including a deletion not yet done on the server.
import { randomBytes } from 'node:crypto'
import { readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Draft } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { writeFileAtomic } from '../fsutil/atomic-write'

export interface ServerCopy {
  mailbox: string
  uid: number | null
  uidValidity: string | null
  messageId: string
}

export interface DraftRecord extends Draft {
  /** The server copy of the last successful upload. */
  server: ServerCopy | null
  /** The server does not yet have this version (or still has a copy of a deleted draft). */
  pending: boolean
  /** Deleted by the user; the file stays only until the server copy is gone. */
  deleted?: boolean
  /** Why the last server update failed. */
  lastError?: string
}

const DRAFT_ID = /^[A-Za-z0-9_-]{1,64}$/

export function checkDraftId(id: string): string {
  if (!DRAFT_ID.test(id)) throw new AppError('INVALID_ARGUMENT', `"${id}" is not a draft id (letters, digits, dash, underscore)`, { id })
  return id
}

export function newDraftId(now: number): string {
  return `d${now.toString(36)}${randomBytes(6).toString('hex')}`
}

export class LocalDrafts {
  constructor(private readonly dir: string) {}

  private path(id: string): string {
    return join(this.dir, `${checkDraftId(id)}.json`)
  }

  async read(id: string): Promise<DraftRecord | null> {
    try {
      return JSON.parse(await readFile(this.path(id), 'utf8')) as DraftRecord
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new AppError('INVALID_STATE', `The draft ${id} cannot be read: ${(error as Error).message}`, { id }, { cause: error })
    }
  }

  async write(record: DraftRecord): Promise<void> {
    try {
      await writeFileAtomic(this.path(record.id), JSON.stringify(record), { mode: 0o600, createDir: 0o700 })
    } catch (error) {
      throw new AppError('SPOOL_IO', `The draft could not be saved: ${(error as Error).message}`, { id: record.id }, { cause: error })
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      await unlink(this.path(id))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  /** Every record, unreadable files skipped (reported through `onBad`), temporary files ignored. */
  async all(onBad: (file: string, error: Error) => void = () => undefined): Promise<DraftRecord[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const out: DraftRecord[] = []
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue
      try {
        const record = await this.read(name.slice(0, -'.json'.length))
        if (record !== null) out.push(record)
      } catch (error) {
        onBad(name, error as Error)
      }
    }
    return out
  }
}

/** The contract's view of a record. */
export function publicDraft(record: DraftRecord): Draft {
  return {
    id: record.id, accountId: record.accountId, from: record.from, to: record.to, cc: record.cc, bcc: record.bcc,
    subject: record.subject, text: record.text, inReplyTo: record.inReplyTo, references: record.references, updatedAt: record.updatedAt
  }
}
