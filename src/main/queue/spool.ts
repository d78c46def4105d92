// The durable spool: commits messages (data, then envelope: the commit point), rewrites envelopes, removes finished ones.
// It never reports a message accepted before its envelope's rename is fsynced, and never overwrites a data file.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import { checkAddress } from '../../shared/address'
import { AppError } from '../../shared/result'
import {
  ENVELOPE_VERSION, SPOOL_DIRS, envelopeSchema, parseEnvelope, serializeEnvelope, stateDirFor,
  type DsnOptions, type Envelope, type EnvelopeRecipient, type Origin, type SpoolDir
} from './envelope'
import { DirSyncer, fsyncDir, isErrno, unlinkIfExists, writeFileDurable } from './fsutil'
import { newQueueId, type IdGenerator } from './ids'
import { idFromEnvelopeName, moveToCorrupt, spoolLayout, tmpName, type SpoolLayout } from './layout'
import { newestCopy, recoverSpool, type RecoveryReport } from './recovery'

const COMPONENT = 'queue'

export interface SpoolOptions {
  clock: Clock
  log: Logger
  /** Share one syncer between spools on the same disk, or count fsyncs in tests. */
  syncer?: DirSyncer
  /** Id source (tests). */
  newId?: IdGenerator
  /** Run start-up recovery (default true). */
  recover?: boolean
  orphanGraceMs?: number
}

export interface EnqueueInput {
  /** The raw RFC 5322 message (CRLF line ends). */
  data: Buffer
  /** Envelope sender; '' is the null sender <>. */
  sender: string
  recipients: { address: string; original?: string }[]
  origin: Origin
  messageId: string | null
  subject: string
  notBefore?: number | null
  dsn?: DsnOptions
}

export interface SpoolEntry {
  /** The directory the envelope is in: the message's state. */
  state: SpoolDir
  envelope: Envelope
}

export interface SpoolCounts {
  queued: number
  deferred: number
  hold: number
  corrupt: number
}

/** The envelope on disk is newer than the one the caller wants to rewrite (someone else changed it). */
export class SpoolConflictError extends Error {
  constructor(readonly id: string, readonly expectedSeq: number, readonly actualSeq: number) {
    super(`${id}: the envelope changed on disk (seq ${actualSeq}, expected ${expectedSeq})`)
    this.name = 'SpoolConflictError'
  }
}

/** Same address, whatever the case of the domain (the local part is case-sensitive by RFC 5321). */
function recipientKey(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase()
}

function validate(input: EnqueueInput): void {
  if (input.recipients.length === 0) throw new AppError('NO_RECIPIENTS', 'The message has no recipients.')
  if (input.sender !== '') {
    const check = checkAddress(input.sender)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `The sender "${input.sender}" is not a valid address: ${check.reason}`)
  }
  for (const r of input.recipients) {
    const check = checkAddress(r.address)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `"${r.address}" is not a valid address: ${check.reason}`)
  }
}

export class Spool {
  readonly layout: SpoolLayout
  /** What start-up recovery found (null when it was skipped). */
  recovery: RecoveryReport | null = null
  private readonly clock: Clock
  private readonly log: Logger
  private readonly syncer: DirSyncer
  private readonly newId: IdGenerator
  private readonly locks = new Map<string, Promise<unknown>>()
  private tmpCounter = 0

  private constructor(root: string, options: SpoolOptions) {
    this.layout = spoolLayout(root)
    this.clock = options.clock
    this.log = options.log
    this.syncer = options.syncer ?? new DirSyncer()
    this.newId = options.newId ?? newQueueId
  }

  /** Creates the directories if needed and runs recovery (see recovery.ts). */
  static async open(root: string, options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(root, options)
    const { layout } = spool
    try {
      for (const dir of [root, layout.tmp, layout.data, ...SPOOL_DIRS.map((d) => layout.dir(d)), layout.corrupt]) {
        await mkdir(dir, { recursive: true, mode: 0o700 })
      }
      await fsyncDir(root)
      if (options.recover !== false) spool.recovery = await recoverSpool(layout, { clock: options.clock, log: options.log, orphanGraceMs: options.orphanGraceMs })
    } catch (error) {
      throw new AppError('SPOOL_IO', `The outbox at ${root} cannot be opened: ${(error as Error).message}`, { dir: root }, { cause: error })
    }
    if (spool.recovery !== null) {
      const r = spool.recovery
      if (r.corrupt + r.duplicatesRemoved + r.orphansRemoved + r.tmpRemoved > 0) {
        options.log.info(COMPONENT, `recovery: ${r.envelopes} messages, ${r.corrupt} moved to corrupt/, ${r.duplicatesRemoved} duplicate envelopes, ${r.orphansRemoved} orphan data files, ${r.tmpRemoved} tmp files removed`)
      }
    }
    return spool
  }

  /**
   * Commits a message. Resolves only after the envelope's rename into queued/ is fsynced: from then on the message
   * is accepted and must not be lost. On failure nothing is left behind and the error is SPOOL_IO (temporary).
   */
  async enqueue(input: EnqueueInput): Promise<Envelope> {
    validate(input)
    const now = this.clock.now()
    const id = this.newId(now)
    const seen = new Set<string>()
    const recipients: EnvelopeRecipient[] = []
    for (const r of input.recipients) {
      const key = recipientKey(r.address)
      if (seen.has(key)) continue
      seen.add(key)
      recipients.push({ address: r.address, original: r.original ?? r.address, state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null, warned: false })
    }
    const envelope: Envelope = envelopeSchema.parse({
      version: ENVELOPE_VERSION, id, createdAt: now, origin: input.origin, sender: input.sender, size: input.data.length,
      messageId: input.messageId, subject: input.subject, notBefore: input.notBefore ?? null, seq: 0,
      ...(input.dsn === undefined ? {} : { dsn: input.dsn }), recipients
    })
    const { layout } = this
    const dataTmp = this.tmpPath(id, 'data')
    const envTmp = this.tmpPath(id, 'json')
    const queuedPath = layout.envelopePath('queued', id)
    let stage = 'data'
    try {
      await writeFileDurable(dataTmp, input.data)
      await rename(dataTmp, layout.dataPath(id))
      await this.syncer.sync(layout.data)
      stage = 'envelope'
      await writeFileDurable(envTmp, serializeEnvelope(envelope))
      await rename(envTmp, queuedPath)
      stage = 'commit'
      await this.syncer.sync(layout.dir('queued'))
    } catch (error) {
      // Not accepted: take back whatever reached the spool so a retry by the user cannot become a second copy.
      await Promise.all([dataTmp, envTmp, queuedPath, layout.dataPath(id)].map((p) => unlinkIfExists(p).catch(() => false)))
      this.log.error(COMPONENT, `${id}: enqueue failed while writing the ${stage}: ${(error as Error).message}`)
      throw new AppError('SPOOL_IO', `The message could not be written to the outbox: ${(error as Error).message}`, { id, stage }, { cause: error })
    }
    this.log.mail(COMPONENT, id, { from: input.sender, size: envelope.size, nrcpt: recipients.length, origin: input.origin })
    return envelope
  }

  /**
   * Rewrites an envelope durably with seq+1 into the directory its state calls for, then removes the copy from the
   * directory it left. `env.seq` must be the seq on disk (else SpoolConflictError). Returns the envelope as written.
   */
  update(env: Envelope): Promise<Envelope> {
    return this.withLock(env.id, async () => {
      const current = await this.locate(env.id)
      if (current === null) throw new AppError('NOT_FOUND', `${env.id}: no such message in the outbox`, { id: env.id })
      if (current.envelope.seq !== env.seq) throw new SpoolConflictError(env.id, env.seq, current.envelope.seq)
      const next = envelopeSchema.parse({ ...env, seq: env.seq + 1 })
      const target = stateDirFor(next) ?? current.state
      const tmp = this.tmpPath(env.id, 'json')
      try {
        await writeFileDurable(tmp, serializeEnvelope(next))
        await rename(tmp, this.layout.envelopePath(target, env.id))
      } catch (error) {
        await unlinkIfExists(tmp).catch(() => false)
        throw error
      }
      await this.syncer.sync(this.layout.dir(target))
      // The new copy is durable; older copies elsewhere lose on seq even if this removal does not survive a crash.
      for (const dir of SPOOL_DIRS) {
        if (dir !== target) await unlinkIfExists(this.layout.envelopePath(dir, env.id))
      }
      return next
    })
  }

  /** Removes a finished message: its envelope first (fsynced), then its data. */
  complete(id: string): Promise<void> {
    return this.withLock(id, async () => {
      for (const dir of SPOOL_DIRS) {
        if (await unlinkIfExists(this.layout.envelopePath(dir, id))) await this.syncer.sync(this.layout.dir(dir))
      }
      await unlinkIfExists(this.layout.dataPath(id))
      this.log.mail(COMPONENT, id, { status: 'removed' })
    })
  }

  /** Moves a message that cannot be delivered as stored (e.g. its data file vanished) to corrupt/. */
  quarantine(id: string, reason: string): Promise<void> {
    return this.withLock(id, async () => {
      for (const dir of SPOOL_DIRS) await moveToCorrupt(this.layout, this.layout.envelopePath(dir, id), `${id}.json`)
      await moveToCorrupt(this.layout, this.layout.dataPath(id), `${id}.data`)
      this.log.warn(COMPONENT, `${id}: moved to corrupt/: ${reason}`)
    })
  }

  async readData(id: string): Promise<Buffer> {
    try {
      return await readFile(this.layout.dataPath(id))
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new AppError('NOT_FOUND', `${id}: the message data is missing from the outbox`, { id }, { cause: error })
      throw error
    }
  }

  async get(id: string): Promise<Envelope | null> {
    return (await this.locate(id))?.envelope ?? null
  }

  /** The newest copy of a message and the directory it is in, or null. */
  async locate(id: string): Promise<SpoolEntry | null> {
    const found: SpoolEntry[] = []
    for (const dir of SPOOL_DIRS) {
      const envelope = await this.readEnvelope(dir, `${id}.json`)
      if (envelope !== null) found.push({ state: dir, envelope })
    }
    return newestCopy(found) ?? null
  }

  /** Every message in queued/, deferred/ and hold/ (newest copy of each), in id (= time) order. Reads the disk. */
  async entries(): Promise<SpoolEntry[]> {
    const byId = new Map<string, SpoolEntry[]>()
    for (const dir of SPOOL_DIRS) {
      for (const name of await this.names(dir)) {
        const envelope = await this.readEnvelope(dir, name)
        if (envelope !== null) byId.set(envelope.id, [...(byId.get(envelope.id) ?? []), { state: dir, envelope }])
      }
    }
    return [...byId.keys()].sort().map((id) => newestCopy(byId.get(id) as SpoolEntry[]) as SpoolEntry)
  }

  async list(): Promise<Envelope[]> {
    return (await this.entries()).map((e) => e.envelope)
  }

  async counts(): Promise<SpoolCounts> {
    const count = async (dir: string): Promise<number> => (await readdir(dir)).filter((n) => !n.startsWith('.')).length
    const [queued, deferred, hold, corrupt] = await Promise.all([
      ...SPOOL_DIRS.map((d) => count(this.layout.dir(d))),
      count(this.layout.corrupt)
    ])
    return { queued: queued ?? 0, deferred: deferred ?? 0, hold: hold ?? 0, corrupt: corrupt ?? 0 }
  }

  private async names(dir: SpoolDir): Promise<string[]> {
    return (await readdir(this.layout.dir(dir))).filter((n) => idFromEnvelopeName(n) !== null && !n.startsWith('.'))
  }

  /** Reads one envelope; a file that vanished is null, one that does not parse is reported and skipped (recovery moves it). */
  private async readEnvelope(dir: SpoolDir, name: string): Promise<Envelope | null> {
    try {
      return parseEnvelope(await readFile(join(this.layout.dir(dir), name)))
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null
      if ((error as Error).name === 'EnvelopeError') {
        this.log.warn(COMPONENT, `${dir}/${name}: skipped unreadable envelope: ${(error as Error).message}`)
        return null
      }
      throw error
    }
  }

  private tmpPath(id: string, kind: 'data' | 'json'): string {
    this.tmpCounter += 1
    return join(this.layout.tmp, tmpName(id, this.tmpCounter, kind))
  }

  /** Serialises writes to one message within this process (the runner and user operations). */
  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve()
    const run = previous.then(fn)
    const tail = run.catch(() => undefined)
    this.locks.set(id, tail)
    try {
      return await run
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id)
    }
  }
}
