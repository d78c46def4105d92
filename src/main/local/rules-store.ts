// Reads and saves the rules files the editor changes (etc/aliases, ~/.forward): atomic replace with a .bak of the previous version.
// Save = src/main/fsutil/atomic-write.ts: tmp → fsync → keep the old file as <file>.bak (hard link, else copy) → rename over → fsync the directory.
// Optimistic concurrency: a file changed on disk since the editor read it (mtime differs) is never overwritten silently.
import { chown, readFile, stat } from 'node:fs/promises'
import { AppError } from '../../shared/result'
import { writeFileAtomic } from '../fsutil/atomic-write'
import { isErrno } from '../fsutil/durable'

export interface StoredText {
  path: string
  exists: boolean
  text: string
  /** null when the file does not exist. */
  mtimeMs: number | null
}

export interface SaveOptions {
  /** The mtime the editor read (null: it read "no file"); undefined: no check. */
  expectedMtime?: number | null | undefined
  /** Owner to give the new file (e.g. a .forward must belong to its user); default: the previous file's owner when we are root. */
  owner?: { uid: number; gid: number } | undefined
  /** Mode of a new file (an existing file keeps its mode). Default 0644. */
  mode?: number | undefined
  /** Largest text accepted, bytes. */
  limit: number
}

export interface SaveResult {
  mtimeMs: number
  /** Path of the previous version, or null when there was none. */
  backup: string | null
}

function ioError(action: string, path: string, error: unknown): AppError {
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO'
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOSPC' ? 'the disk is full'
      : code === 'ENOENT' ? 'the folder does not exist'
        : code === 'EISDIR' ? 'it is a folder, not a file'
          : code === 'EROFS' ? 'the file system is read-only'
            : (error as Error)?.message ?? String(error)
  return new AppError('RULES_IO', `Could not ${action} ${path}: ${why}`, { path, errno: code }, { cause: error })
}

/** Reads a rules file; a missing file reads as empty (exists: false). */
export async function readRulesText(path: string, limit: number): Promise<StoredText> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return { path, exists: false, text: '', mtimeMs: null }
    throw ioError('read', path, error)
  }
  if (!info.isFile()) throw new AppError('RULES_IO', `Could not read ${path}: it is not a regular file`, { path })
  if (info.size > limit) throw new AppError('RULES_IO', `${path} is ${info.size} bytes, more than the editor's limit of ${limit}; edit it with a text editor`, { path, size: info.size, limit })
  try {
    return { path, exists: true, text: await readFile(path, 'utf8'), mtimeMs: info.mtimeMs }
  } catch (error) {
    throw ioError('read', path, error)
  }
}

async function currentState(path: string): Promise<{ mtimeMs: number; mode: number; uid: number; gid: number } | null> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new AppError('RULES_IO', `Could not save ${path}: it is not a regular file`, { path })
    return { mtimeMs: info.mtimeMs, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid }
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null
    if (error instanceof AppError) throw error
    throw ioError('save', path, error)
  }
}

function checkUnchanged(path: string, expected: number | null | undefined, now: { mtimeMs: number } | null): void {
  if (expected === undefined) return
  if (expected === null && now === null) return
  if (expected !== null && now !== null && now.mtimeMs === expected) return
  const what = now === null ? 'was deleted on disk since you opened it'
    : expected === null ? 'was created on disk since you opened it'
      : 'changed on disk since you opened it'
  throw new AppError('INVALID_STATE', `${path} ${what}; reload it (your text is still in the editor) and apply your change again`, {
    path, reason: 'conflict', expectedMtime: expected, actualMtime: now?.mtimeMs ?? null
  })
}

/** Saves text atomically; the previous version becomes <file>.bak. On any failure the file on disk is unchanged. */
export async function saveRulesText(path: string, text: string, options: SaveOptions): Promise<SaveResult> {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length > options.limit) throw new AppError('INVALID_ARGUMENT', `The text is ${bytes.length} bytes, more than the limit of ${options.limit}`, { limit: options.limit })
  const before = await currentState(path)
  checkUnchanged(path, options.expectedMtime, before)
  const mode = before?.mode ?? options.mode ?? 0o644
  const owner = options.owner ?? (before !== null && process.getuid?.() === 0 ? { uid: before.uid, gid: before.gid } : undefined)
  let written
  try {
    written = await writeFileAtomic(path, bytes, {
      mode,
      exactMode: true,
      backup: true,
      beforeReplace: async (tmp) => {
        if (owner !== undefined) await chown(tmp, owner.uid, owner.gid)
        // The last look before replacing: a change that landed while we wrote still wins over us.
        checkUnchanged(path, options.expectedMtime, await currentState(path))
      }
    })
  } catch (error) {
    if (error instanceof AppError) throw error
    throw ioError('save', path, error)
  }
  try {
    return { mtimeMs: (await stat(path)).mtimeMs, backup: written.backup }
  } catch (error) {
    throw ioError('save', path, error)
  }
}
