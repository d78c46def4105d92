// Appends a message to an mbox file ("/path" targets of aliases and .forward): dot-lock, refuse symlinks, "From " line, >From quoting, fsync.
import { constants } from 'node:fs'
import { lstat, open, type FileHandle } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { MBOX_LOCK_RETRY_MS, MBOX_LOCK_STALE_MS, MBOX_LOCK_WAIT_MS } from '../config/timeouts'
import { acquireDotLock, releaseDotLock } from '../fsutil/dot-lock'
import { traceHeaders } from './maildir'
import { fileErrorEnhanced, targetFailure, toUnixText, type TargetResult } from './target-result'

export interface MboxAppendOptions {
  /** Envelope sender ('' = the null sender: "From MAILER-DAEMON"). */
  sender: string
  /** Recipient for the `Delivered-To:` line. */
  deliveredTo: string
  now?: Date
  lockWaitMs?: number
  lockStaleMs?: number
  lockRetryMs?: number
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** asctime(3) of local time, as in the "From " line: `Wed Nov  5 09:04:01 2026`. */
export function asctime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
}

/**
 * One mbox entry: `From <sender> <asctime>`, Return-Path and Delivered-To, the message with LF line ends and every
 * line matching /^>*From / quoted with one more '>' (mboxrd), ending with a blank line.
 */
export function mboxEntry(data: Buffer, sender: string, deliveredTo: string, now: Date): Buffer {
  const envelopeSender = sender === '' ? 'MAILER-DAEMON' : sender.replace(/\s+/g, '_')
  const body = toUnixText(data).toString('latin1')
  const quoted = body.replace(/^(>*From )/gm, '>$1')
  const ending = quoted.endsWith('\n') ? '\n' : '\n\n'
  return Buffer.concat([
    Buffer.from(`From ${envelopeSender} ${asctime(now)}\n`, 'latin1'),
    traceHeaders({ returnPath: sender, deliveredTo }, '\n'),
    Buffer.from(quoted + ending, 'latin1')
  ])
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/** Takes `<path>.lock` (src/main/fsutil/dot-lock.ts); a failure is returned as the delivery's result. */
async function dotLock(path: string, options: MboxAppendOptions): Promise<TargetResult | null> {
  const lockPath = `${path}.lock`
  try {
    const taken = await acquireDotLock(lockPath, {
      waitMs: options.lockWaitMs ?? MBOX_LOCK_WAIT_MS,
      staleMs: options.lockStaleMs ?? MBOX_LOCK_STALE_MS,
      retryMs: options.lockRetryMs ?? MBOX_LOCK_RETRY_MS
    })
    if (taken === 'locked') return null
    return targetFailure('4.2.0', `unable to lock ${path} for exclusive access: ${lockPath} exists`, `The file ${path} is locked by another program (${lockPath}); this is temporary.`)
  } catch (error) {
    const enhanced = fileErrorEnhanced(errnoOf(error))
    return targetFailure(enhanced, `cannot create lock file ${lockPath}: ${(error as Error).message}`, `The lock file ${lockPath} could not be created (${(error as Error).message}).`)
  }
}

function refused(path: string, why: string): TargetResult {
  return targetFailure('5.2.0', `cannot append message to file ${path}: ${why}`, `Mailroom refused to write to ${path}: ${why}.`)
}

/** Appends the message to the mbox file `path` (created 0600 if missing). Never throws: the result says what happened. */
export async function appendMbox(path: string, data: Buffer, options: MboxAppendOptions): Promise<TargetResult> {
  if (!isAbsolute(path)) return refused(path, 'the path is not absolute')
  let before: { dev: number; ino: number } | null = null
  try {
    const info = await lstat(path)
    if (info.isSymbolicLink()) return refused(path, 'it is a symbolic link')
    if (!info.isFile()) return refused(path, 'it is not a regular file')
    if (info.nlink > 1) return refused(path, `it has ${info.nlink} hard links`)
    before = { dev: info.dev, ino: info.ino }
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') return targetFailure(fileErrorEnhanced(errnoOf(error)), `cannot examine file ${path}: ${(error as Error).message}`, `The file ${path} could not be examined (${(error as Error).message}).`)
  }
  const lockProblem = await dotLock(path, options)
  if (lockProblem !== null) return lockProblem
  try {
    return await appendLocked(path, data, options, before)
  } finally {
    await releaseDotLock(`${path}.lock`)
  }
}

async function appendLocked(path: string, data: Buffer, options: MboxAppendOptions, before: { dev: number; ino: number } | null): Promise<TargetResult> {
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') return refused(path, 'it is a symbolic link')
    return targetFailure(fileErrorEnhanced(errnoOf(error)), `cannot open file ${path}: ${(error as Error).message}`, `The file ${path} could not be opened (${(error as Error).message}).`)
  }
  let start = 0
  try {
    const info = await handle.stat()
    if (!info.isFile()) return refused(path, 'it is not a regular file')
    if (before !== null && (info.dev !== before.dev || info.ino !== before.ino)) {
      return targetFailure('4.2.0', `file ${path} was replaced while it was being opened`, `The file ${path} changed while Mailroom opened it; this is temporary.`)
    }
    start = info.size
    const entry = mboxEntry(data, options.sender, options.deliveredTo, options.now ?? new Date())
    await handle.writeFile(entry)
    await handle.sync()
    return { status: 'sent', text: `delivered to file ${path}` }
  } catch (error) {
    // Take back a partial entry, as Postfix does, so a retry does not leave half a message in the file.
    await handle.truncate(start).catch(() => undefined)
    return targetFailure(fileErrorEnhanced(errnoOf(error)), `cannot append message to file ${path}: ${(error as Error).message}`, `The message could not be appended to ${path} (${(error as Error).message}).`)
  } finally {
    await handle.close().catch(() => undefined)
  }
}
