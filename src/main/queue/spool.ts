// The durable spool: commits messages (data, then envelope: the commit point), rewrites envelopes, removes finished ones.
// It never reports a message accepted before its envelope's rename is fsynced, and never overwrites a data file.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '../app/clock'
import type { Logger } from '../log/logger'
import { AppError } from '../../shared/result'
import { SPOOL_DIRS, newestCopy, serializeEnvelope, stateDirFor, type Envelope, type SpoolDir } from './envelope'
import { DirSyncer, fsyncDir, isErrno, unlinkIfExists, writeFileDurable } from '../fsutil/durable'
import { newQueueId, type IdGenerator } from './ids'
import { idFromEnvelopeName, moveToCorrupt, spoolLayout, tmpName, type SpoolLayout } from './layout'
import { checkLimits, snapshotUsage, UsageCounter, type QueueLimits, type QueueUsage, type UsageSource } from './limits'
import type { RecoveryReport } from './recovery'
import { newEnvelope, stampNextWake, validate, type EnqueueInput } from './submission'
import { scanEntries, type SpoolEntry } from './listing'
import { recordLine, removalLine, SpoolJournal } from './journal'
import type { OutboxMessage } from '../../shared/contract'

export type { EnqueueInput } from './submission'

const COMPONENT = 'queue'

/** The zod schema, loaded on first use: committing a new message (the sendmail door) never needs it. */
let schemaModule: Promise<typeof import('./envelope-schema')> | null = null
const envelopeSchemaModule = (): Promise<typeof import('./envelope-schema')> => (schemaModule ??= import('./envelope-schema'))

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
  /** Back-pressure: enqueue refuses with QUEUE_FULL past these (every door: UI, CLI, listener). */
  limits?: QueueLimits
  /** Where the usage for the limits comes from; default: exact counters after recovery, else spool/usage.json. */
  usage?: UsageSource
}

export type { SpoolEntry } from './listing'

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
  private limits: QueueLimits | null
  private usageSource: UsageSource
  /** Exact usage, kept by the process that ran recovery (the owner of the queue); null in CLI processes. */
  readonly usage: UsageCounter | null = null
  /** Ids in queued/ whose size `usage` already counts (so mail queued by other processes is counted once). */
  readonly countedQueued = new Set<string>()
  /** spool/journal: the summary index mailq and the outbox list read (derived; see journal.ts). */
  readonly journal: SpoolJournal

  private constructor(root: string, options: SpoolOptions) {
    this.layout = spoolLayout(root)
    this.journal = new SpoolJournal({ root, readEnvelope: (dir, name) => this.readEnvelope(dir, name) }, options.log)
    this.clock = options.clock
    this.log = options.log
    this.syncer = options.syncer ?? new DirSyncer()
    this.newId = options.newId ?? newQueueId
    this.limits = options.limits ?? null
    this.usageSource = options.usage ?? snapshotUsage(this.layout)
    if (options.recover !== false) {
      this.usage = new UsageCounter()
      const counter = this.usage
      if (options.usage === undefined) this.usageSource = async () => counter.snapshot()
    }
  }

  /** Sets or changes the back-pressure limits (config reload). */
  setLimits(limits: QueueLimits | null): void {
    this.limits = limits
  }

  /** The usage the limits are checked against (the service switches between its counters and the snapshot). */
  setUsageSource(source: UsageSource): void {
    this.usageSource = source
  }

  currentUsage(): Promise<QueueUsage> {
    return this.usageSource()
  }

  /** Creates the directories if needed and runs recovery (see recovery.ts). */
  static async open(root: string, options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(root, options)
    const { layout } = spool
    try {
      // mkdir returns the first directory it created: fsync the root (making the new entries durable) only then.
      let created = false
      for (const dir of [root, layout.tmp, layout.data, ...SPOOL_DIRS.map((d) => layout.dir(d)), layout.corrupt]) {
        if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) created = true
      }
      if (created) await fsyncDir(root)
      if (options.recover !== false) {
        const { recoverSpool } = await import('./recovery')
        spool.recovery = await recoverSpool(layout, { clock: options.clock, log: options.log, orphanGraceMs: options.orphanGraceMs })
        if (spool.usage !== null) {
          spool.usage.messages = spool.recovery.envelopes
          spool.usage.bytes = spool.recovery.bytes
        }
        for (const id of spool.recovery.queuedIds) spool.countedQueued.add(id)
        spool.recovery.queuedIds = []
        await spool.journal.rewrite(spool.recovery.kept)
        spool.recovery.kept = []
      }
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
    if (this.limits !== null) {
      // The queue's own notices (from <>, origin local) only need disk space: see checkLimits.
      const notice = input.sender === '' && input.origin === 'local'
      await checkLimits(this.limits, this.usageSource, this.layout.root, input.data.length, notice)
    }
    const now = this.clock.now()
    const envelope = newEnvelope(input, this.newId(now), now)
    const { id, recipients } = envelope
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
      await stampNextWake(envTmp, envelope, now, true)
      await rename(envTmp, queuedPath)
      stage = 'commit'
      await this.syncer.sync(layout.dir('queued'))
    } catch (error) {
      // Not accepted: take back whatever reached the spool so a retry by the user cannot become a second copy.
      await Promise.all([dataTmp, envTmp, queuedPath, layout.dataPath(id)].map((p) => unlinkIfExists(p).catch(() => false)))
      this.log.error(COMPONENT, `${id}: enqueue failed while writing the ${stage}: ${(error as Error).message}`)
      throw new AppError('SPOOL_IO', `The message could not be written to the outbox: ${(error as Error).message}`, { id, stage }, { cause: error })
    }
    await this.journal.append(recordLine(envelope, 'queued'))
    this.usage?.add(envelope.size)
    if (this.usage !== null) this.countedQueued.add(id)
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
      const next = (await envelopeSchemaModule()).envelopeSchema.parse({ ...env, seq: env.seq + 1 })
      const target = stateDirFor(next) ?? current.state
      const tmp = this.tmpPath(env.id, 'json')
      try {
        await writeFileDurable(tmp, serializeEnvelope(next))
        await stampNextWake(tmp, next, this.clock.now(), false)
        await rename(tmp, this.layout.envelopePath(target, env.id))
      } catch (error) {
        await unlinkIfExists(tmp).catch(() => false)
        throw error
      }
      await this.syncer.sync(this.layout.dir(target))
      await this.journal.append(recordLine(next, target))
      // The new copy is durable; older copies elsewhere lose on seq even if this removal does not survive a crash.
      for (const dir of SPOOL_DIRS) {
        if (dir !== target) await unlinkIfExists(this.layout.envelopePath(dir, env.id))
      }
      return next
    })
  }

  /**
   * Reads the newest copy, applies `change`, and writes it back (seq-checked), again on a concurrent change
   * (another process, or the runner recording an outcome). `change` returns null to leave the message as it is.
   * NOT_FOUND when the message is not in the queue.
   */
  async modify(id: string, change: (env: Envelope, state: SpoolDir) => Envelope | null): Promise<SpoolEntry> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.locate(id)
      if (current === null) throw new AppError('NOT_FOUND', `${id}: no such message in the outbox`, { id })
      const changed = change(current.envelope, current.state)
      if (changed === null) return current
      try {
        const written = await this.update(changed)
        return { state: stateDirFor(written) ?? current.state, envelope: written }
      } catch (error) {
        if (!(error instanceof SpoolConflictError) || attempt >= 4) throw error
      }
    }
  }

  /** Removes a finished message: its envelope first (fsynced), then its data. `size` keeps the usage counters exact. */
  complete(id: string, size?: number): Promise<void> {
    return this.withLock(id, async () => {
      let removed = false
      for (const dir of SPOOL_DIRS) {
        if (await unlinkIfExists(this.layout.envelopePath(dir, id))) {
          removed = true
          await this.syncer.sync(this.layout.dir(dir))
        }
      }
      if (removed) await this.journal.append(removalLine(id))
      await unlinkIfExists(this.layout.dataPath(id))
      this.countedQueued.delete(id)
      if (removed) this.usage?.remove(size ?? 0)
      this.log.mail(COMPONENT, id, { status: 'removed' })
    })
  }

  /** Moves a message that cannot be delivered as stored (e.g. its data file vanished) to corrupt/. */
  quarantine(id: string, reason: string): Promise<void> {
    return this.withLock(id, async () => {
      for (const dir of SPOOL_DIRS) await moveToCorrupt(this.layout, this.layout.envelopePath(dir, id), `${id}.json`)
      await moveToCorrupt(this.layout, this.layout.dataPath(id), `${id}.data`)
      await this.journal.append(removalLine(id))
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
    const read = await Promise.all(SPOOL_DIRS.map(async (dir) => ({ state: dir, envelope: await this.readEnvelope(dir, `${id}.json`) })))
    const found = read.filter((entry): entry is SpoolEntry => entry.envelope !== null)
    return newestCopy(found) ?? null
  }

  /** Every message in queued/, deferred/ and hold/ (newest copy of each), in id (= time) order. Reads the disk. */
  async entries(): Promise<SpoolEntry[]> {
    const all: SpoolEntry[] = []
    for await (const entry of scanEntries(this)) all.push(entry)
    return all
  }

  /**
   * Every message, one at a time in id (= time) order, without holding the queue in memory: only the names are
   * listed and sorted up front (mailq with 100k messages).
   */
  scan(): AsyncGenerator<SpoolEntry> {
    return scanEntries(this)
  }

  /**
   * The outbox view of every message in queued/, deferred/ and hold/, in id (= time) order, from spool/journal
   * cross-checked with the directory names (envelopes are read only for what the journal does not know), one at
   * a time: mailq.
   */
  async *summaries(): AsyncGenerator<OutboxMessage> {
    for await (const batch of this.journal.summaryBatches()) yield* batch
  }

  /** summaries() a batch at a time (a few hundred messages), for readers of 100k messages. */
  summaryBatches(): AsyncGenerator<OutboxMessage[]> {
    return this.journal.summaryBatches()
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

  /** Envelope file names in one state directory (not parsed). */
  async names(dir: SpoolDir): Promise<string[]> {
    return (await readdir(this.layout.dir(dir))).filter((n) => idFromEnvelopeName(n) !== null && !n.startsWith('.'))
  }

  /** Reads one envelope; a file that vanished is null, one that does not parse is reported and skipped (recovery moves it). */
  async readEnvelope(dir: SpoolDir, name: string): Promise<Envelope | null> {
    try {
      const bytes = await readFile(join(this.layout.dir(dir), name))
      return (await envelopeSchemaModule()).parseEnvelope(bytes)
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
