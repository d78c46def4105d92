// `mailroom mailq` with many queued messages: wall time and peak RSS at 1k and 100k (target < 1 s, memory O(due soon)).
// The spool is seeded by writing envelope + data files directly (no fsync: this measures reading, not committing).
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ENVELOPE_VERSION, serializeEnvelope } from '../src/main/queue/envelope'
import { recordLine } from '../src/main/queue/journal-record'
import { envelopeSchema } from '../src/main/queue/envelope-schema'
import { createIdGenerator } from '../src/main/queue/ids'
import { BIN, MAX_SECONDS, builtCliExists, makeBenchHome, median, num } from './support/measure'
import { spawnSync } from 'node:child_process'

const SIZES = (process.env.BENCH_MAILQ_SIZES ?? '1000,10000,100000').split(',').map(Number)
const RUNS = Number(process.env.BENCH_MAILQ_RUNS ?? 3)
const SEED_SECONDS = Number(process.env.BENCH_SEED_SECONDS ?? 180)
const WRITERS = 64
const data = Buffer.from(`From: a@x.test\r\nTo: b@y.test\r\nSubject: mailq bench\r\n\r\n${'x'.repeat(500)}\r\n`)

/** Adds messages until the spool holds `target`; returns how many it holds when the target or the time bound is reached. */
async function seed(spool: string, have: number, target: number): Promise<number> {
  const newId = createIdGenerator()
  const deadline = Date.now() + SEED_SECONDS * 1000
  let next = have
  const writer = async (): Promise<void> => {
    while (next < target && Date.now() < deadline) {
      const n = next++
      const now = Date.now() - 3600_000 + n
      const id = newId(now)
      const envelope = envelopeSchema.parse({
        version: ENVELOPE_VERSION, id, createdAt: now, origin: 'cli', sender: 'alice@x.test', size: data.length,
        messageId: `<${n}@x.test>`, subject: `mailq bench ${n}`, notBefore: null, seq: 1,
        recipients: [{ address: `bob${n % 100}@y.test`, original: `bob${n % 100}@y.test`, state: 'deferred', attempts: 1,
          lastReply: { code: 451, enhanced: '4.3.0', text: '451 4.3.0 try again later', host: 'mx.y.test' }, nextAttemptAt: now + 7200_000, warned: false }]
      })
      await writeFile(join(spool, 'data', id), data)
      await writeFile(join(spool, 'deferred', `${id}.json`), serializeEnvelope(envelope))
      // What the spool itself appends on every envelope write: the summary journal mailq reads (docs/queue.md).
      await appendFile(join(spool, 'journal'), recordLine(envelope, 'deferred'))
    }
  }
  await Promise.all(Array.from({ length: WRITERS }, writer))
  return Math.min(next, target)
}

interface MailqRun {
  /** null: killed at the time bound. */
  seconds: number | null
  maxRssMb: number
}

/** One `mailroom mailq` under GNU time (wall seconds, peak RSS), killed after MAX_SECONDS; output goes to /dev/null. */
function mailq(home: string, json: boolean): MailqRun {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', 'timeout', '-s', 'KILL', String(MAX_SECONDS), process.execPath, BIN, 'mailq', ...(json ? ['--json'] : [])], {
    env: { ...process.env, MAILROOM_HOME: home }, stdio: ['ignore', 'ignore', 'pipe']
  })
  const lines = result.stderr.toString().trim().split('\n')
  const match = /^([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '')
  if (match === null) throw new Error(`mailq: unexpected output of time(1): ${lines.join('\n')}`)
  if (result.status === 137) return { seconds: null, maxRssMb: Number(match[2]) / 1024 }
  if (result.status !== 0) throw new Error(`mailq failed (status ${result.status}): ${lines.join('\n')}`)
  return { seconds: Number(match[1]), maxRssMb: Number(match[2]) / 1024 }
}

function wallOf(runs: MailqRun[]): string {
  const finished = runs.flatMap((r) => (r.seconds === null ? [] : [r.seconds]))
  return finished.length < runs.length ? `> ${MAX_SECONDS} s (killed)` : `${median(finished).toFixed(2)} s`
}

if (!builtCliExists()) {
  console.log('mailq bench skipped: out/main/cli.js is missing (npm run build)')
} else {
  const home = await makeBenchHome()
  const spool = join(home, 'spool')
  try {
    for (const dir of ['tmp', 'data', 'queued', 'deferred', 'hold', 'corrupt']) await mkdir(join(spool, dir), { recursive: true })
    let have = 0
    console.log(`messages   ${'mailq wall (median)'.padStart(20)}   peak RSS   ${'mailq --json wall'.padStart(18)}   peak RSS   target`)
    for (const size of SIZES) {
      const started = Date.now()
      have = await seed(spool, have, size)
      const seeded = `${num(have)} seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`
      const runs = size > 10_000 ? 1 : RUNS
      const text = Array.from({ length: runs }, () => mailq(home, false))
      const json = Array.from({ length: runs }, () => mailq(home, true))
      const met = text.every((r) => r.seconds !== null && r.seconds < 1) ? 'met' : 'NOT met'
      const rss = (r: MailqRun[]): string => (r.some((x) => x.seconds === null) ? 'n/a' : `${num(Math.max(...r.map((x) => x.maxRssMb)))} MB`)
      console.log(`${num(have).padStart(8)}   ${wallOf(text).padStart(20)}   ${rss(text).padStart(8)}   ${wallOf(json).padStart(18)}   ${rss(json).padStart(8)}   < 1 s: ${met}   (${seeded})`)
      if (have < size) {
        console.log(`seeding stopped at ${have} after ${SEED_SECONDS} s`)
        break
      }
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}
