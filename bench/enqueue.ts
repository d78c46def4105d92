// Durable enqueue, side by side in one run: raw fsync ceiling, the spool in-process (1 and 16 at a time), `mailroom
// sendmail -t -i` (one process after another and 16 at a time), Postfix's `sendmail -t -i` on a throwaway instance, and
// the start time of `mailroom sendmail` against `node -e 0`. Prints the ratios against the targets of PERFORMANCE.md.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../src/main/app/clock'
import { createLogger } from '../src/main/log/logger'
import { configSchema } from '../src/main/config/schema'
import { QueueService, queueOptionsFromSettings } from '../src/main/queue/service'
import { Spool } from '../src/main/queue/spool'
import { BIN, MAX_SECONDS, builtCliExists, makeBenchHome, median, num, rate, rawDurableFile, timeProcess, verdict, type Rate } from './support/measure'
import { measurePostfixEnqueue, postfixMissing, type PostfixEnqueue } from './support/postfix-enqueue'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400)
const CLI_SEQUENTIAL = Number(process.env.BENCH_CLI_SEQUENTIAL ?? 60)
const CLI_PARALLEL = Number(process.env.BENCH_CLI_PARALLEL ?? 160)
const STARTS = Number(process.env.BENCH_STARTS ?? 20)
const body = Buffer.from(`From: a@x.test\r\nTo: b@y.test\r\nSubject: bench\r\n\r\n${'x'.repeat(2000)}\r\n`)
const cliMessage = (i: number): string => `From: alice@bench.test\nTo: bob@bench.test\nSubject: bench ${i}\n\n${`${'x'.repeat(79)}\n`.repeat(25)}`

const base = await mkdtemp(join(tmpdir(), 'mailroom-bench-'))
const home = await makeBenchHome()
try {
  const raw: Record<number, Rate> = {}
  const spool: Record<number, Rate> = {}
  const submit: Record<number, Rate> = {}
  // The UI's and the listener's path: QueueService.submit with the default back-pressure limits, no runner (no delivery).
  const defaults = queueOptionsFromSettings(configSchema.parse({}).queue)
  const noDelivery = { deliver: async () => [], close: async () => undefined }
  for (const concurrency of [1, 16]) {
    const rawDir = join(base, `raw-${concurrency}`)
    await mkdir(rawDir)
    raw[concurrency] = await rate(MESSAGES, concurrency, (i) => rawDurableFile(rawDir, i, body))
    const s = await Spool.open(join(base, `spool-${concurrency}`), { clock: systemClock, log: createLogger() })
    spool[concurrency] = await rate(MESSAGES, concurrency, async () => {
      await s.enqueue({ data: body, sender: 'a@x.test', recipients: [{ address: 'b@y.test' }], origin: 'ui', messageId: null, subject: 'bench' })
    })
    const queueDir = join(base, `service-${concurrency}`)
    const service = await QueueService.open({
      spoolDir: join(queueDir, 'spool'), lockFile: join(queueDir, 'queue.lock'), deliverer: noDelivery, clock: systemClock, log: createLogger(), limits: defaults.limits
    })
    submit[concurrency] = await rate(MESSAGES, concurrency, async () => {
      await service.submit({ data: body, sender: 'a@x.test', recipients: [{ address: 'b@y.test' }], origin: 'ui', messageId: null, subject: 'bench' })
    })
    await service.close()
  }

  let cli: { sequential: Rate; parallel16: Rate } | null = null
  let starts: { node: number; sendmail: number } | null = null
  if (builtCliExists()) {
    const one = async (i: number): Promise<void> => {
      const result = await timeProcess(process.execPath, [BIN, 'sendmail', '-t', '-i'], cliMessage(i), { MAILROOM_HOME: home })
      if (result.code !== 0) throw new Error(`mailroom sendmail exited with ${result.code}: ${result.stderr}`)
    }
    cli = { sequential: await rate(CLI_SEQUENTIAL, 1, one), parallel16: await rate(CLI_PARALLEL, 16, one) }
    // Interleaved, one process at a time: the per-process floor (node -e 0) against a whole sendmail submission.
    const nodeTimes: number[] = []
    const sendmailTimes: number[] = []
    const deadline = Date.now() + MAX_SECONDS * 1000
    for (let i = 0; i < STARTS && Date.now() < deadline; i++) {
      nodeTimes.push((await timeProcess(process.execPath, ['-e', '0'], null)).ms)
      sendmailTimes.push((await timeProcess(process.execPath, [BIN, 'sendmail', '-t', '-i'], cliMessage(i), { MAILROOM_HOME: home })).ms)
    }
    starts = { node: median(nodeTimes), sendmail: median(sendmailTimes) }
  }

  const missing = postfixMissing()
  let postfix: PostfixEnqueue | null = null
  let postfixError = missing
  if (missing === null) {
    try {
      postfix = await measurePostfixEnqueue(CLI_SEQUENTIAL, CLI_PARALLEL, cliMessage)
    } catch (error) {
      postfixError = (error as Error).message
    }
  }

  const row = (label: string, one: Rate | undefined, sixteen: Rate | undefined): string =>
    `${label.padEnd(44)} ${num(one?.perSecond).padStart(8)} ${num(sixteen?.perSecond).padStart(10)}`
  console.log(`bounds: ${MESSAGES} in-process ops, ${CLI_SEQUENTIAL} / ${CLI_PARALLEL} processes, each measurement at most ${MAX_SECONDS} s`)
  console.log(`${''.padEnd(44)} ${'1 at a time'.padStart(8)} ${'16 at a time'.padStart(10)}   (per second)`)
  console.log(row('raw create+write+fsync+rename+dir fsync', raw[1], raw[16]))
  console.log(row('spool.enqueue in-process (durable)', spool[1], spool[16]))
  console.log(row('QueueService.submit (limits checked)', submit[1], submit[16]))
  console.log(cli === null ? 'mailroom sendmail -t -i: skipped (run `npm run build` first)' : row('mailroom sendmail -t -i (processes)', cli.sequential, cli.parallel16))
  console.log(postfix === null ? `postfix sendmail -t -i: skipped (${postfixError})` : row('postfix sendmail -t -i (processes, maildrop)', postfix.sequential, postfix.parallel16))
  if (starts !== null) console.log(`per process (median of ${STARTS}): node -e 0 ${num(starts.node)} ms, mailroom sendmail -t -i ${num(starts.sendmail)} ms`)
  console.log('\nratios against the targets (../shared/PERFORMANCE.md, issue 4):')
  console.log(`  in-process 16 / fsync ceiling 16:          ${verdict((spool[16]?.perSecond ?? NaN) / (raw[16]?.perSecond ?? NaN), 0.5)}`)
  console.log(`  submit() 16 / fsync ceiling 16:            ${verdict((submit[16]?.perSecond ?? NaN) / (raw[16]?.perSecond ?? NaN), 0.5)}`)
  if (postfix !== null) {
    console.log(`  in-process 1 / postfix sendmail 1:         ${verdict((spool[1]?.perSecond ?? NaN) / postfix.sequential.perSecond, 1)}`)
    console.log(`  in-process 16 / postfix sendmail 16:       ${verdict((spool[16]?.perSecond ?? NaN) / postfix.parallel16.perSecond, 1)}`)
    if (cli !== null) {
      console.log(`  mailroom sendmail 1 / postfix sendmail 1:   ${verdict(cli.sequential.perSecond / postfix.sequential.perSecond, 0.8)}`)
      console.log(`  mailroom sendmail 16 / postfix sendmail 16: ${verdict(cli.parallel16.perSecond / postfix.parallel16.perSecond, 0.8)}`)
    }
  }
  if (starts !== null) console.log(`  mailroom sendmail / node -e 0 per process: ${verdict(starts.sendmail / starts.node, 1.3, true)}`)
} finally {
  await rm(base, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
}
