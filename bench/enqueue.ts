// Durable enqueue rate of the spool (1 and 16 concurrent) beside the disk's raw create+fsync+rename+dir-fsync ceiling, same run.
import { open, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../src/main/app/clock'
import { createLogger } from '../src/main/log/logger'
import { Spool } from '../src/main/queue/spool'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400)
const MAX_SECONDS = 60
const body = Buffer.from(`From: a@x.test\r\nTo: b@y.test\r\nSubject: bench\r\n\r\n${'x'.repeat(2000)}\r\n`)

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** What one durable file costs on this disk: create, write, fsync, rename, fsync the directory. */
async function rawOp(dir: string, i: number): Promise<void> {
  const tmp = join(dir, `tmp-${i}`)
  const handle = await open(tmp, 'w')
  await handle.writeFile(body)
  await handle.sync()
  await handle.close()
  await rename(tmp, join(dir, `f-${i}`))
  await fsyncDir(dir)
}

async function rate(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + MAX_SECONDS * 1000
  let next = 0
  let done = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total && Date.now() < deadline) {
      await op(next++)
      done++
    }
  }))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return done / seconds
}

const fmt = (n: number): string => n.toFixed(0).padStart(6)
const base = await mkdtemp(join(tmpdir(), 'mailroom-bench-'))
try {
  const results: Record<string, number> = {}
  for (const concurrency of [1, 16]) {
    const rawDir = join(base, `raw-${concurrency}`)
    await mkdir(rawDir)
    results[`raw-${concurrency}`] = await rate(MESSAGES, concurrency, (i) => rawOp(rawDir, i))
    const spool = await Spool.open(join(base, `spool-${concurrency}`), { clock: systemClock, log: createLogger() })
    results[`spool-${concurrency}`] = await rate(MESSAGES, concurrency, async () => {
      await spool.enqueue({ data: body, sender: 'a@x.test', recipients: [{ address: 'b@y.test' }], origin: 'ui', messageId: null, subject: 'bench' })
    })
  }
  console.log(`messages per measurement: ${MESSAGES} (bounded to ${MAX_SECONDS} s each)`)
  console.log('                              1 at a time   16 at a time')
  console.log(`raw fsync ceiling (ops/s)        ${fmt(results['raw-1'] ?? 0)}         ${fmt(results['raw-16'] ?? 0)}`)
  console.log(`spool durable enqueue (msg/s)    ${fmt(results['spool-1'] ?? 0)}         ${fmt(results['spool-16'] ?? 0)}`)
  const ratio = (results['spool-16'] ?? 0) / (results['raw-16'] ?? 1)
  console.log(`ratio at 16 concurrent: ${(ratio * 100).toFixed(0)}% of the fsync ceiling (target >= 50%)`)
} finally {
  await rm(base, { recursive: true, force: true })
}
