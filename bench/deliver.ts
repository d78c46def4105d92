// Spool → remote SMTP: Mailroom's queue delivering N messages to smtp-sink beside Postfix delivering the same N from its queue.
//
// Same run, same sink (Postfix's smtp-sink on 127.0.0.4, a free port), same message size, durable state on both
// sides (our spool rewrites and fsyncs the envelope after each attempt; Postfix fsyncs its queue files).
// Postfix: a throwaway instance (tests/support/postfix.ts) with relayhost = the sink; the N messages are injected
// with smtp-source while `defer_transports = smtp` holds them, then released (postconf + reload + postqueue -f)
// and timed until its queue is empty. Mailroom: N messages enqueued into a fresh spool (not timed), then one
// `flush()` of a QueueService with the direct deliverer pointed at the sink, timed until it returns; once with
// the config defaults (concurrency 16, perDestination 4) and once with perDestination 16 (Postfix's default
// destination concurrency is 20). Last, the same N from our spool to that Postfix as an MX (its smtpd).
// Needs root, postfix and smtp-sink; otherwise it says so and exits 0. BENCH_DELIVER_MESSAGES sets N (default 2000).
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../src/main/app/clock'
import { createDirectDeliverer } from '../src/main/delivery/direct'
import type { MailResolver } from '../src/main/dns/resolver'
import { createLogger } from '../src/main/log/logger'
import { QueueService } from '../src/main/queue/service'
import { stopAll } from '../tests/support/cleanup'
import { freePort } from '../tests/support/ports'
import { startPostfix, type PostfixInstance } from '../tests/support/postfix'
import { pollUntil, runOk } from '../tests/support/proc'
import { missingMessage, missingTools } from '../tests/support/requirements'
import { startSmtpSink } from '../tests/support/smtp-sink'

const MESSAGES = Number(process.env.BENCH_DELIVER_MESSAGES ?? 2000)
const MAX_SECONDS = 120
const SIZE = 2048
const RECIPIENT = 'bob@sink.test'
const SENDER = 'alice@bench.test'

function message(i: number): Buffer {
  const head = `From: ${SENDER}\r\nTo: ${RECIPIENT}\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@bench.test>\r\n\r\n`
  const line = `${'x'.repeat(76)}\r\n`
  return Buffer.from(head + line.repeat(Math.ceil((SIZE - head.length) / line.length)))
}

async function countFiles(dir: string): Promise<number> {
  let count = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1
  }
  return count
}

async function postfixQueued(postfix: PostfixInstance): Promise<number> {
  const spool = join(postfix.dir, 'spool')
  const counts = await Promise.all(['incoming', 'active', 'deferred', 'maildrop'].map((q) => countFiles(join(spool, q))))
  return counts.reduce((a, b) => a + b, 0)
}

type Rate = { rate: number; seconds: number; sent: number }

/**
 * Postfix: inject N (held by defer_transports), release, time until the queue is empty. Then, with the same instance
 * as a Postfix MX (its smtpd relays on to the sink), time Mailroom's spool delivering N to it.
 */
async function postfixRun(sinkPort: number): Promise<{ postfix: Rate; toPostfixMx: Rate }> {
  const address = '127.0.0.6'
  const postfix = await startPostfix({
    address, port: await freePort(address), domains: ['bench.test'], relayhost: `[127.0.0.4]:${sinkPort}`,
    mainCf: { defer_transports: 'smtp', smtpd_client_connection_rate_limit: '0', smtpd_client_message_rate_limit: '0' }
  })
  const etc = join(postfix.dir, 'etc')
  await runOk('smtp-source', ['-s', '16', '-m', String(MESSAGES), '-l', String(SIZE), '-f', SENDER, '-t', RECIPIENT, `${address}:${postfix.port}`], { timeoutMs: MAX_SECONDS * 1000 })
  await pollUntil(async () => (await countFiles(join(postfix.dir, 'spool', 'deferred'))) >= MESSAGES, MAX_SECONDS * 1000,
    async () => `postfix: only ${await countFiles(join(postfix.dir, 'spool', 'deferred'))} of ${MESSAGES} messages reached the deferred queue`, 100)
  await runOk('postconf', ['-c', etc, '-e', 'defer_transports='])
  const before = (await postfix.maillog()).length
  const start = process.hrtime.bigint()
  await runOk('postfix', ['-c', etc, 'reload'])
  await runOk('postqueue', ['-c', etc, '-f'])
  await pollUntil(async () => (await postfixQueued(postfix)) === 0, MAX_SECONDS * 1000, async () => `postfix: ${await postfixQueued(postfix)} messages still queued after ${MAX_SECONDS} s`, 50)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const sent = ((await postfix.maillog()).slice(before).match(/status=sent/g) ?? []).length
  const toPostfixMx = await mailroomRun(address, postfix.port, 4)
  await postfix.stop()
  return { postfix: { rate: sent / seconds, seconds, sent }, toPostfixMx }
}

/** Mailroom: enqueue N (not timed), then one queue run to the sink. Returns msg/s. */
async function mailroomRun(address: string, port: number, perDestination: number): Promise<Rate> {
  const home = await mkdtemp(join(tmpdir(), 'mailroom-bench-deliver-'))
  try {
    const log = createLogger({ file: join(home, 'log', 'maillog') })
    const resolver: MailResolver = {
      resolveMx: async () => [{ exchange: 'mx.sink.test', priority: 10 }],
      resolveAddresses: async () => [address]
    }
    const deliverer = createDirectDeliverer({ resolver, hostname: 'bench.mailroom.test', allowLoopback: true, port, log })
    const service = await QueueService.open({ spoolDir: join(home, 'spool'), lockFile: join(home, 'run', 'queue.lock'), deliverer, clock: systemClock, log, concurrency: 16, perDestination })
    for (let i = 0; i < MESSAGES; i++) {
      await service.spool.enqueue({ data: message(i), sender: SENDER, recipients: [{ address: RECIPIENT }], origin: 'cli', messageId: `<bench-${i}@bench.test>`, subject: `bench ${i}` })
    }
    if (!(await service.becomeRunner())) throw new Error('could not take the runner lock')
    const start = process.hrtime.bigint()
    const summary = await service.flush()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    await service.close()
    await deliverer.close()
    return { rate: summary.sent / seconds, seconds, sent: summary.sent }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/** The direct deliverer alone (no spool, no durable state), `concurrency` deliveries at a time: where the time goes. */
async function delivererOnly(port: number, concurrency: number): Promise<Rate> {
  const resolver: MailResolver = { resolveMx: async () => [{ exchange: 'mx.sink.test', priority: 10 }], resolveAddresses: async () => ['127.0.0.4'] }
  const deliverer = createDirectDeliverer({ resolver, hostname: 'bench.mailroom.test', allowLoopback: true, port, log: createLogger() })
  let next = 0
  let sent = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < MESSAGES) {
      const i = next++
      const [outcome] = await deliverer.deliver({ queueId: `B${i}`, sender: SENDER, recipients: [RECIPIENT], data: message(i), queuedAt: 0 })
      if (outcome?.status === 'sent') sent++
    }
  }))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  await deliverer.close()
  return { rate: sent / seconds, seconds, sent }
}

const missing = missingTools(['root', 'postfix', 'smtp-sink', 'smtp-source', 'postqueue'])
if (missing.length > 0) {
  console.log(`bench/deliver skipped: ${missingMessage(missing)}`)
  process.exit(0)
}

const fmt = (r: { rate: number; seconds: number; sent: number }): string =>
  `${r.rate.toFixed(0).padStart(6)} msg/s  (${r.sent} sent in ${r.seconds.toFixed(2)} s)`
try {
  const sinkPort = await freePort('127.0.0.4')
  await startSmtpSink({ address: '127.0.0.4', port: sinkPort, backlog: 1024 })
  console.log(`${MESSAGES} messages of ~${SIZE} bytes, one recipient each, to smtp-sink 127.0.0.4:${sinkPort}, same run`)
  const { postfix, toPostfixMx } = await postfixRun(sinkPort)
  const ours = await mailroomRun('127.0.0.4', sinkPort, 4)
  const wide = await mailroomRun('127.0.0.4', sinkPort, 16)
  console.log(`postfix queue → sink (postfix defaults)                    ${fmt(postfix)}`)
  console.log(`mailroom spool → sink (concurrency 16, perDestination 4)  ${fmt(ours)}  ratio ${(ours.rate / postfix.rate).toFixed(2)}x`)
  console.log(`mailroom spool → sink (concurrency 16, perDestination 16) ${fmt(wide)}  ratio ${(wide.rate / postfix.rate).toFixed(2)}x`)
  console.log(`mailroom spool → Postfix MX (perDestination 4)            ${fmt(toPostfixMx)}`)
  const alone4 = await delivererOnly(sinkPort, 4)
  const alone16 = await delivererOnly(sinkPort, 16)
  console.log(`direct deliverer alone → sink, 4 at a time (no spool)     ${fmt(alone4)}  ratio ${(alone4.rate / postfix.rate).toFixed(2)}x`)
  console.log(`direct deliverer alone → sink, 16 at a time (no spool)    ${fmt(alone16)}  ratio ${(alone16.rate / postfix.rate).toFixed(2)}x`)
  console.log(`target: >= 1.0x Postfix (docs/performance.md)`)
} finally {
  await stopAll()
}
