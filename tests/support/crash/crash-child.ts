// Child process of the crash-consistency test: enqueues and delivers through the real QueueService until it is SIGKILLed.
// stdout protocol (one line each, written synchronously: a pipe write on Linux completes before the next statement):
//   WAITING-FOR-LOCK              the runner lock is taken (an empty lock left by a kill is stale only after 10 s)
//   READY <pid>                   the spool is open and recovered, this process is the runner
//   ACCEPTED <queue id> <msg-id>  printed only after submit() resolved (the message is durable)
//                                 (CRASH_CHILD_REPORT_EARLY=1: printed before, with id "early": the harness's self-test)
//   DONE <msg-id>                 the message was sent and that is recorded (it left the spool)
//   DRAINED <json>                (drain mode) nothing is left in the spool; counts and recovery report
// Usage: node crash-child.mjs work|drain <spool dir> <sink port> <generation> [max messages]
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { systemClock } from '../../../src/main/app/clock'
import { createDirectDeliverer } from '../../../src/main/delivery/direct'
import type { MailResolver } from '../../../src/main/dns/resolver'
import { createLogger } from '../../../src/main/log/logger'
import { QueueService } from '../../../src/main/queue/service'
import { SINK_DOMAIN, crashBody } from './crash-message'

function say(line: string): void {
  process.stdout.write(line + '\n')
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function main(): Promise<void> {
  const [mode, spoolDir, portText, generation, maxText] = process.argv.slice(2)
  if ((mode !== 'work' && mode !== 'drain') || spoolDir === undefined || portText === undefined || generation === undefined) {
    process.stderr.write('usage: crash-child work|drain <spool dir> <sink port> <generation> [max messages]\n')
    process.exit(64)
  }
  const log = createLogger({ file: join(spoolDir, '..', 'maillog') })
  const resolver: MailResolver = {
    resolveMx: async () => [{ exchange: 'mx.sink.test', priority: 10 }],
    resolveAddresses: async () => ['127.0.0.1']
  }
  const deliverer = createDirectDeliverer({ resolver, hostname: 'crash.test', allowLoopback: true, port: Number(portText), log })
  // One process at a time uses this spool, so data files without an envelope are always a dead enqueue: drop them now.
  const queue = await QueueService.open({ spoolDir, lockFile: join(spoolDir, '..', 'queue.lock'), deliverer, clock: systemClock, log, orphanGraceMs: 0, concurrency: 8, perDestination: 4 })
  // A child killed between creating the lock file and writing its pid leaves an empty lock, stale only after 10 s.
  const lockDeadline = Date.now() + 15_000
  let waited = false
  while (!(await queue.becomeRunner()) && Date.now() < lockDeadline) {
    if (!waited) say('WAITING-FOR-LOCK')
    waited = true
    await sleep(200)
  }
  if (!queue.isRunner) {
    process.stderr.write(`crash-child: could not take the runner lock (owner ${await queue.runnerPid()})\n`)
    process.exit(3)
  }
  say(`READY ${process.pid}`)
  // Emitted after the outcome was recorded and the message completed: from here on a new delivery would be a bug.
  queue.onChange((message) => {
    if (message.state === 'sent' && typeof message.messageId === 'string') say(`DONE ${message.messageId}`)
  })

  if (mode === 'drain') {
    const deadline = Date.now() + 60_000
    let runs = 0
    while (Date.now() < deadline) {
      await queue.flush()
      runs += 1
      if ((await queue.spool.entries()).length === 0) break
      await sleep(50)
    }
    const counts = await queue.spool.counts()
    await queue.close()
    await deliverer.close()
    say(`DRAINED ${JSON.stringify({ runs, counts, recovery: queue.spool.recovery })}`)
    return
  }

  queue.startScheduler()
  const max = Number(maxText ?? 40)
  const reportEarly = process.env.CRASH_CHILD_REPORT_EARLY === '1'
  let n = 0
  const writer = async (): Promise<void> => {
    while (n < max) {
      const seq = n++
      const messageId = `<g${generation}.${seq}.${randomBytes(4).toString('hex')}@crash.test>`
      const recipients = Array.from({ length: 1 + (seq % 2) }, (_, i) => ({ address: `r${i}@${SINK_DOMAIN}` }))
      const data = Buffer.from(
        `From: crash@crash.test\r\nTo: ${recipients.map((r) => r.address).join(', ')}\r\nSubject: crash ${generation}.${seq}\r\n` +
        `Message-ID: ${messageId}\r\n\r\n${crashBody(messageId)}`
      )
      const input = { data, sender: 'crash@crash.test', recipients, origin: 'cli' as const, messageId, subject: `crash ${generation}.${seq}` }
      if (reportEarly) {
        // Deliberately broken (the harness's own test): claims acceptance before the commit point.
        say(`ACCEPTED early ${messageId}`)
        await queue.submit(input)
      } else {
        const { id } = await queue.submit(input)
        say(`ACCEPTED ${id} ${messageId}`)
      }
      await sleep(Math.floor(Math.random() * 8))
    }
  }
  await Promise.all([writer(), writer(), writer(), writer()])
  // Stay alive delivering until the test kills us.
  setInterval(() => undefined, 60_000)
}

main().catch((error: unknown) => {
  process.stderr.write(`crash-child: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
