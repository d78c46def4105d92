// Maildir delivery: write one message into <mailRoot>/<user>/Maildir durably (tmp/ → fsync → rename into new/ → fsync new/).
// It never leaves a partial message in new/, never overwrites a file, and never writes outside <mailRoot>/<user>.
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ErrorCode } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { DirSyncer, fsyncDir } from '../fsutil/durable'

/** The error code for a mailbox that cannot be written (disk full, I/O error, permissions): temporary, retry later. */
const MAILDIR_IO: ErrorCode = 'MAILBOX_IO'

/** The filesystem operations Maildir delivery needs; injectable so tests can observe (and break) each durability step. */
export interface MaildirFs {
  /** mkdir -p with the mode; returns the first directory it created, undefined when all existed (like fs.mkdir recursive). */
  mkdirp(path: string, mode: number): Promise<string | undefined>
  /** Creates a new file (fails with EEXIST if it exists). */
  createExclusive(path: string, mode: number): Promise<MaildirFileHandle>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  fsyncDir(dir: string): Promise<void>
}

export interface MaildirFileHandle {
  write(bytes: Buffer): Promise<void>
  sync(): Promise<void>
  close(): Promise<void>
}

export const nodeMaildirFs: MaildirFs = {
  mkdirp: (path, mode) => mkdir(path, { recursive: true, mode }),
  async createExclusive(path, mode) {
    const handle = await open(path, 'wx', mode)
    return {
      write: async (bytes) => { await handle.writeFile(bytes) },
      sync: () => handle.sync(),
      close: () => handle.close()
    }
  },
  rename,
  unlink,
  fsyncDir
}

export interface MaildirWriterOptions {
  /** MAILROOM_HOME/mail: mailboxes are <mailRoot>/<user>/Maildir. */
  mailRoot: string
  /** The host part of file names; default the machine's host name. */
  hostname?: string
  fs?: MaildirFs
  /** Current time in microseconds since the epoch (tests). */
  nowMicros?: () => number
  pid?: number
}

export interface MaildirDeliverOptions {
  /** Envelope sender for `Return-Path:` ('' gives `Return-Path: <>`); omitted: no Return-Path header. */
  returnPath?: string
  /** Recipient for `Delivered-To:`; omitted: no Delivered-To header. */
  deliveredTo?: string
}

export interface MaildirWriter {
  /** Delivers one message; resolves with the path of the file in new/ once it is durable. */
  deliver(user: string, data: Buffer, options?: MaildirDeliverOptions): Promise<string>
  /** The Maildir directory of a user (after checking the name). */
  maildirOf(user: string): string
}

/**
 * Refuses mailbox names that could leave the mail root or hide the mailbox: empty, '/', '\', NUL or other control
 * characters, '..' anywhere, a leading '.', or longer than 255 bytes. Throws AppError INVALID_ADDRESS.
 */
export function checkMailboxUser(user: string): void {
  const refuse = (why: string): never => {
    throw new AppError('INVALID_ADDRESS', `"${printable(user)}" is not a valid local mailbox name: ${why}`, { user: printable(user) })
  }
  if (user === '') refuse('it is empty')
  if (user.includes('\0')) refuse('it contains a NUL character')
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x00-\x1f\x7f]/.test(user)) refuse('it contains a control character')
  if (user.includes('/') || user.includes('\\')) refuse('it contains a path separator')
  if (user.includes('..')) refuse('it contains ".."')
  if (user.startsWith('.')) refuse('it starts with "."')
  if (Buffer.byteLength(user, 'utf8') > 255) refuse('it is longer than 255 bytes')
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 200)
}

/** The host part of a Maildir name: '/' and ':' are written as \057 and \072 (the Maildir spec). */
export function maildirHost(host: string): string {
  return host.replace(/\//g, '\\057').replace(/:/g, '\\072')
}

/** `<seconds>.M<usec>P<pid>Q<n>.<host>,S=<size>`, unique per host (time, process, per-process counter). */
export function maildirFileName(micros: number, pid: number, deliveryNumber: number, host: string, size: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const usec = micros - seconds * 1_000_000
  return `${seconds}.M${usec}P${pid}Q${deliveryNumber}.${maildirHost(host)},S=${size}`
}

/** Header values we write ourselves: CR, LF and other control characters become spaces (no header injection). */
function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return value.replace(/[\x00-\x08\x0a-\x1f\x7f]+/g, ' ').trim()
}

/** The `Return-Path:` and `Delivered-To:` lines local delivery prepends (also to mbox files and programs, with LF). */
export function traceHeaders(options: MaildirDeliverOptions, eol = '\r\n'): Buffer {
  let text = ''
  if (options.returnPath !== undefined) text += `Return-Path: <${headerSafe(options.returnPath).replace(/[<>]/g, '')}>${eol}`
  if (options.deliveredTo !== undefined) text += `Delivered-To: ${headerSafe(options.deliveredTo)}${eol}`
  return Buffer.from(text, 'utf8')
}

function defaultMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000)
}

function ioError(what: string, path: string, error: unknown): AppError {
  const errno = (error as NodeJS.ErrnoException).code
  return new AppError(MAILDIR_IO, `could not ${what} ${path}: ${(error as Error).message}`, { path, ...(errno === undefined ? {} : { errno }) }, { cause: error })
}

/** How many times a new name is tried when tmp/ already has the file (another process with the same pid elsewhere). */
const NAME_TRIES = 5

export function createMaildirWriter(options: MaildirWriterOptions): MaildirWriter {
  const fs = options.fs ?? nodeMaildirFs
  const host = options.hostname ?? osHostname()
  const nowMicros = options.nowMicros ?? defaultMicros
  const pid = options.pid ?? process.pid
  const ready = new Map<string, Promise<void>>()
  // Concurrent deliveries into the same new/ share one directory fsync (group commit).
  const syncer = new DirSyncer((dir) => fs.fsyncDir(dir))
  let deliveries = 0

  const maildirOf = (user: string): string => {
    checkMailboxUser(user)
    return join(options.mailRoot, user, 'Maildir')
  }

  /** Creates cur/ new/ tmp/ (0700); newly created directories are fsynced up to the mail root. */
  const create = async (user: string, maildir: string): Promise<void> => {
    let created = false
    for (const sub of ['tmp', 'new', 'cur']) {
      const dir = join(maildir, sub)
      try {
        if ((await fs.mkdirp(dir, 0o700)) !== undefined) created = true
      } catch (error) {
        throw ioError('create the mailbox directory', dir, error)
      }
    }
    if (!created) return
    for (const dir of [maildir, join(options.mailRoot, user), options.mailRoot]) {
      try {
        await fs.fsyncDir(dir)
      } catch (error) {
        throw ioError('sync the directory', dir, error)
      }
    }
  }

  /** Once per Maildir and process; concurrent first deliveries wait for the same preparation (a failure is retried next time). */
  const prepare = (user: string, maildir: string): Promise<void> => {
    let pending = ready.get(maildir)
    if (pending === undefined) {
      pending = create(user, maildir)
      ready.set(maildir, pending)
      pending.catch(() => ready.delete(maildir))
    }
    return pending
  }

  /** Writes the file into tmp/ under a fresh unique name; returns that name. Removes a partial file on failure. */
  const writeTmp = async (maildir: string, bytes: Buffer): Promise<string> => {
    for (let attempt = 1; ; attempt += 1) {
      deliveries += 1
      const name = maildirFileName(nowMicros(), pid, deliveries, host, bytes.length)
      const tmpPath = join(maildir, 'tmp', name)
      let handle: MaildirFileHandle
      try {
        handle = await fs.createExclusive(tmpPath, 0o600)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < NAME_TRIES) continue
        throw ioError('create', tmpPath, error)
      }
      try {
        await handle.write(bytes)
        await handle.sync()
      } catch (error) {
        await handle.close().catch(() => undefined)
        await fs.unlink(tmpPath).catch(() => undefined)
        throw ioError('write', tmpPath, error)
      }
      try {
        await handle.close()
      } catch (error) {
        await fs.unlink(tmpPath).catch(() => undefined)
        throw ioError('close', tmpPath, error)
      }
      return name
    }
  }

  return {
    maildirOf,
    async deliver(user, data, deliverOptions = {}) {
      const maildir = maildirOf(user)
      await prepare(user, maildir)
      const headers = traceHeaders(deliverOptions)
      const bytes = headers.length === 0 ? data : Buffer.concat([headers, data])
      const name = await writeTmp(maildir, bytes)
      const tmpPath = join(maildir, 'tmp', name)
      const newPath = join(maildir, 'new', name)
      try {
        await fs.rename(tmpPath, newPath)
      } catch (error) {
        await fs.unlink(tmpPath).catch(() => undefined)
        throw ioError('move the message into', newPath, error)
      }
      try {
        await syncer.sync(join(maildir, 'new'))
      } catch (error) {
        // The rename may not survive a crash: take the message back so the caller's retry cannot duplicate it.
        await fs.unlink(newPath).catch(() => undefined)
        throw ioError('sync the directory', join(maildir, 'new'), error)
      }
      return newPath
    }
  }
}
