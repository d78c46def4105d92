// Crash consistency: a child enqueues and delivers through the real QueueService and is SIGKILLed at random points, many
// times; a final clean child drains. Every accepted message must arrive (intact), none may stay stuck, and a message may
// arrive twice only when the child that sent it first was killed (the window between the remote 250 and our record).
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildChild, type BuiltChild } from '../../support/crash/build-child'
import { startRecordingSink, type RecordingSink, type SinkDelivery } from '../../support/crash/recording-sink'
import { ROOT } from '../../support/mailroom'

const CI = process.env.CI === 'true'
const KILLS = Number(process.env.CRASH_KILLS ?? (CI ? 200 : 40))
const LOOP_MS = Number(process.env.CRASH_LOOP_MS ?? (CI ? 120_000 : 30_000))
/** Accepted but not yet delivered messages above which the children stop enqueuing. */
const MAX_BACKLOG = 150
/** The child's runner delivers at most this many messages at once to the sink's domain (perDestination). */
const IN_FLIGHT = 4
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: a seeded RNG so a failing run can be replayed with CRASH_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Life {
  generation: number
  stdout: string
  stderr: string
  code: number | null
  signal: NodeJS.Signals | null
}

/** When to SIGKILL a child: some time after it started, or some time after it said READY; null: never. */
type KillPlan = { afterSpawnMs: number } | { afterReadyMs: number } | null

function runChild(file: string, args: string[], plan: KillPlan, timeoutMs = 90_000, env: NodeJS.ProcessEnv = {}): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    const life: Life = { generation: Number(args[3]), stdout: '', stderr: '', code: null, signal: null }
    let kill: NodeJS.Timeout | null = null
    const killIn = (ms: number): void => {
      kill = setTimeout(() => child.kill('SIGKILL'), ms)
    }
    if (plan !== null && 'afterSpawnMs' in plan) killIn(plan.afterSpawnMs)
    child.stdout.on('data', (d: Buffer) => {
      life.stdout += d.toString()
      if (plan !== null && 'afterReadyMs' in plan && kill === null && /^READY /m.test(life.stdout)) killIn(plan.afterReadyMs)
    })
    child.stderr.on('data', (d: Buffer) => (life.stderr += d.toString()))
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (kill !== null) clearTimeout(kill)
      clearTimeout(guard)
      life.code = code
      life.signal = signal
      resolve(life)
    })
  })
}

function acceptedIn(life: Life): Map<string, string> {
  const accepted = new Map<string, string>()
  for (const match of life.stdout.matchAll(/^ACCEPTED (\S+) (<[^>]+>)$/gm)) accepted.set(match[2] as string, match[1] as string)
  return accepted
}

/** Message-ID -> the first life that reported it sent and recorded (DONE). */
function recordedIn(lives: Life[]): Map<string, number> {
  const done = new Map<string, number>()
  for (const life of lives) {
    for (const match of life.stdout.matchAll(/^DONE (<[^>]+>)$/gm)) if (!done.has(match[1] as string)) done.set(match[1] as string, life.generation)
  }
  return done
}

interface Verdict {
  missing: string[]
  /** Delivered again by a later life although an earlier one had recorded it as sent: outside the window. */
  afterRecord: string[]
  torn: SinkDelivery[]
  sameLifeTwice: string[]
  duplicates: number
  unreported: number
  unique: number
}

function judge(accepted: Map<string, string>, deliveries: SinkDelivery[], recorded = new Map<string, number>()): Verdict {
  const byMessage = new Map<string, SinkDelivery[]>()
  for (const d of deliveries) byMessage.set(d.messageId, [...(byMessage.get(d.messageId) ?? []), d])
  const sameLifeTwice = [...byMessage].filter(([, ds]) => new Set(ds.map((d) => d.generation)).size !== ds.length).map(([id]) => id)
  return {
    missing: [...accepted.keys()].filter((id) => !byMessage.has(id)).map((id) => `${id} (queue id ${accepted.get(id)})`),
    afterRecord: deliveries.filter((d) => d.generation > (recorded.get(d.messageId) ?? Infinity)).map((d) => `${d.messageId} (recorded in life ${recorded.get(d.messageId)}, sent again in ${d.generation})`),
    torn: deliveries.filter((d) => !d.intact),
    sameLifeTwice,
    duplicates: deliveries.length - byMessage.size,
    unreported: [...byMessage.keys()].filter((id) => !accepted.has(id)).length,
    unique: byMessage.size
  }
}

describe('queue crash consistency (SIGKILL during enqueue and delivery)', () => {
  let child: BuiltChild
  let sink: RecordingSink

  beforeAll(async () => {
    child = await buildChild(join(ROOT, 'tests', 'support', 'crash', 'crash-child.ts'), 'crash-child')
    sink = await startRecordingSink()
  }, 60_000)

  afterAll(async () => {
    await sink?.close()
    await child?.remove()
  })

  /** Kills a work child `kills` times (bounded by `loopMs`), then drains with a clean child. */
  async function crashLoop(kills: number, loopMs: number, options: { env?: NodeJS.ProcessEnv; plan?: (random: () => number) => KillPlan } = {}): Promise<{ lives: Life[]; drain: Life; accepted: Map<string, string>; spool: string; home: string }> {
    const env = options.env ?? {}
    // A quarter of the kills land in start-up (module loading, recovery, taking the lock), the rest in enqueue and delivery.
    const planFor = options.plan ?? ((random) => random() < 0.25 ? { afterSpawnMs: Math.floor(random() * 400) } : { afterReadyMs: Math.floor(random() * 500) })
    const home = await mkdtemp(join(tmpdir(), 'mailroom-crash-'))
    const spool = join(home, 'spool')
    sink.deliveries.length = 0
    const random = rng(SEED)
    const lives: Life[] = []
    const accepted = new Map<string, string>()
    const deadline = Date.now() + loopMs
    let generation = 0
    let drain: Life
    try {
      while (lives.length < kills && Date.now() < deadline) {
        generation += 1
        sink.generation = generation
        const plan = planFor(random)
        // Keep the backlog bounded (every start scans the spool): past it, a life only delivers.
        const backlog = accepted.size - new Set(sink.deliveries.map((d) => d.messageId)).size
        const max = backlog > MAX_BACKLOG ? 0 : 40
        const life = await runChild(child.file, ['work', spool, String(sink.port), String(generation), String(max)], plan, 30_000, env)
        lives.push(life)
        for (const [id, queueId] of acceptedIn(life)) accepted.set(id, queueId)
        if (life.signal !== 'SIGKILL') throw new Error(`work child ${generation} ended by itself (code ${life.code}): ${life.stderr}`)
      }
      generation += 1
      sink.generation = generation
      drain = await runChild(child.file, ['drain', spool, String(sink.port), String(generation)], null, 90_000, env)
    } catch (error) {
      await rm(home, { recursive: true, force: true })
      throw error
    }
    return { lives, drain, accepted, spool, home }
  }

  test(`every accepted message is delivered, none stuck, duplicates only across a kill (seed ${SEED})`, async () => {
    const { lives, drain, accepted, spool, home } = await crashLoop(KILLS, LOOP_MS)
    try {
      expect(drain.code, `drain child failed: ${drain.stderr}`).toBe(0)
      const drained = /^DRAINED (.*)$/m.exec(drain.stdout)
      expect(drained, drain.stdout + drain.stderr).not.toBeNull()
      const done = recordedIn([...lives, drain])
      const verdict = judge(accepted, sink.deliveries, done)
      const report = {
        seed: SEED, kills: lives.length, accepted: accepted.size, delivered: sink.deliveries.length, unique: verdict.unique,
        duplicates: verdict.duplicates, unreportedButDelivered: verdict.unreported, recordedAsSent: done.size,
        livesThatAccepted: lives.filter((l) => acceptedIn(l).size > 0).length,
        livesThatWaitedForTheLock: lives.filter((l) => l.stdout.includes('WAITING-FOR-LOCK')).length, drain: JSON.parse(drained?.[1] ?? '{}')
      }
      process.stderr.write(`crash harness: ${JSON.stringify(report)}\n`)
      // Lives cost 0.5-1.5 s (Node start, recovery): on a loaded 2-core machine the time bound ends the loop first.
      if (CI) expect(lives.length).toBeGreaterThanOrEqual(Math.min(KILLS, 50))
      expect(lives.length).toBeGreaterThanOrEqual(Math.min(KILLS, 10))
      expect(accepted.size, 'the children accepted nothing: the harness tests nothing').toBeGreaterThan(lives.length)
      const maillog = verdict.missing.length > 0 ? await readFile(join(spool, '..', 'maillog'), 'utf8').catch(() => '') : ''
      expect(verdict.missing, `lost messages; maillog tail:\n${maillog.split('\n').slice(-60).join('\n')}`).toEqual([])
      expect(verdict.torn.map((d) => d.messageId), 'messages that arrived torn or mixed up').toEqual([])
      expect(verdict.sameLifeTwice, 'delivered twice by one process life: a duplicate outside the 250-to-record window').toEqual([])
      expect(verdict.afterRecord, 'delivered again after the sent outcome was recorded').toEqual([])
      expect(done.size, 'no life reported a recorded delivery: the DONE check tests nothing').toBeGreaterThan(0)
      // Each kill can cut at most the deliveries in flight (to the one sink domain) between their 250 and their record.
      expect(verdict.duplicates).toBeLessThanOrEqual(lives.length * IN_FLIGHT)
      expect(verdict.duplicates / verdict.unique, 'duplicates are not a small fraction of the messages').toBeLessThan(0.25)
      // Nothing stuck: all state directories, data/, tmp/ and corrupt/ are empty after the drain.
      for (const dir of ['queued', 'deferred', 'hold', 'data', 'tmp', 'corrupt']) {
        expect(await readdir(join(spool, dir)), `spool/${dir} after the drain`).toEqual([])
      }
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  }, LOOP_MS + 40_000)

  test('the harness notices a lost message (a child that reports "accepted" before the commit)', async () => {
    // Kills 20-150 ms after READY, while the four writers are busy: each kill catches some claimed-but-uncommitted message.
    const { lives, drain, accepted, spool, home } = await crashLoop(10, 8_000, {
      env: { CRASH_CHILD_REPORT_EARLY: '1' },
      plan: (random) => ({ afterReadyMs: 20 + Math.floor(random() * 130) })
    })
    try {
      const verdict = judge(accepted, sink.deliveries)
      process.stderr.write(`crash harness (broken child): kills=${lives.length} accepted=${accepted.size} missing=${verdict.missing.length}\n`)
      expect(verdict.missing.length).toBeGreaterThan(0)
      expect(drain.code, drain.stderr).toBe(0)
      expect(await readdir(join(spool, 'queued')), drain.stdout + drain.stderr).toEqual([])
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  }, 60_000)
})
