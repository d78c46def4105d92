// Local delivery to Maildir, side by side with Postfix virtual(8) to Maildir: N queued messages, timed until N files in new/.
//
// Same run, same message size (~SIZE bytes), one recipient each, only delivery timed on both sides:
// - Postfix: a throwaway instance (tests/support/postfix.ts) whose virtual_mailbox_maps deliver every recipient of
//   bench.test to DIR/mail/inbox (Maildir, fsynced by virtual(8)). N messages are injected with smtp-source while
//   `smtpd_data_restrictions = check_client_access static:HOLD` puts each into the hold queue (not timed); then the
//   clock starts, `postsuper -H ALL` releases them and `postqueue -f` asks for delivery, and it stops when N files are
//   in DIR/mail/inbox/new (polled every 20 ms).
// - Mailroom: createApp({mode: 'daemon'}) without the runner role; N messages for the local user "bench"
//   (config local.users) are submitted through QueueService.submit (durable, not timed); then the clock starts,
//   startRunner() takes the runner role and the router hands each recipient to the local delivery agent
//   (src/main/local/local-delivery.ts: tmp → fsync → rename into new/ → fsync new/), and it stops when N files are in
//   MAILROOM_HOME/mail/bench/Maildir/new. Once with the config defaults (queue.concurrency global 16,
//   perDestination 4) and once with perDestination 16 (Postfix's virtual(8) runs up to 20 at a time).
// Needs root, postfix and smtp-source; otherwise it says so and exits 0. BENCH_LOCAL_MESSAGES sets N (default 2000);
// every wait stops after BENCH_MAX_SECONDS (default 60).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/main/app/container'
import { stopAll } from '../tests/support/cleanup'
import { freePort } from '../tests/support/ports'
import { startPostfix } from '../tests/support/postfix'
import { runOk } from '../tests/support/proc'
import { missingMessage, missingTools } from '../tests/support/requirements'
import { countEntries, countFilesDeep, homeWithConfig, line, notMeasured, sizedMessage, waitForCount } from './support/bench-mail'
import { MAX_SECONDS } from './support/measure'

const MESSAGES = Number(process.env.BENCH_LOCAL_MESSAGES ?? 2000)
const SIZE = 2048
const SENDER = 'alice@remote.test'
const POSTFIX_ADDRESS = '127.0.0.14'

interface Delivered {
  rate: number
  seconds: number
  delivered: number
  complete: boolean
}

async function postfixRun(): Promise<Delivered> {
  const postfix = await startPostfix({
    address: POSTFIX_ADDRESS, port: await freePort(POSTFIX_ADDRESS), domains: ['bench.test'],
    mainCf: { smtpd_client_connection_rate_limit: '0', smtpd_client_message_rate_limit: '0', smtpd_data_restrictions: 'check_client_access static:HOLD' }
  })
  try {
    const etc = join(postfix.dir, 'etc')
    await runOk('smtp-source', ['-s', '16', '-d', '-m', String(MESSAGES), '-l', String(SIZE), '-f', SENDER, '-t', 'bench@bench.test', `${postfix.address}:${postfix.port}`], { timeoutMs: MAX_SECONDS * 1000 })
    const held = await waitForCount(() => countFilesDeep(join(postfix.dir, 'spool', 'hold')), MESSAGES, process.hrtime.bigint(), MAX_SECONDS)
    if (!held.complete) throw new Error(`postfix: only ${held.reached} of ${MESSAGES} messages reached the hold queue`)
    const newDir = join(postfix.maildir, 'new')
    const start = process.hrtime.bigint()
    await runOk('postsuper', ['-c', etc, '-H', 'ALL'])
    await runOk('postqueue', ['-c', etc, '-f'])
    const done = await waitForCount(() => countEntries(newDir), MESSAGES, start, MAX_SECONDS)
    return { rate: done.reached / done.seconds, seconds: done.seconds, delivered: done.reached, complete: done.complete }
  } finally {
    await postfix.stop()
  }
}

async function mailroomRun(perDestination: number): Promise<Delivered> {
  const userHome = await mkdtemp(join(tmpdir(), 'mailroom-bench-user-'))
  const home = await homeWithConfig({
    hostname: 'bench.test', dns: { servers: [], allowLoopback: true }, accounts: [],
    listener: { enabled: false },
    local: { users: [{ name: 'bench', home: userHome }] },
    queue: { concurrency: { global: 16, perDestination } }
  })
  const app = await createApp({ mode: 'daemon', home })
  try {
    let next = 0
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < MESSAGES) {
        const i = next++
        await app.queue.submit({ data: sizedMessage(i, SIZE, SENDER, 'bench@bench.test'), sender: SENDER, recipients: [{ address: 'bench@bench.test' }], origin: 'cli', messageId: `<bench-${i}@bench.test>`, subject: `bench ${i}` })
      }
    }))
    const newDir = join(home, 'mail', 'bench', 'Maildir', 'new')
    const start = process.hrtime.bigint()
    if (!(await app.startRunner())) throw new Error('could not take the queue-runner role')
    const done = await waitForCount(() => countEntries(newDir), MESSAGES, start, MAX_SECONDS)
    if (done.reached === 0) throw new Error(`nothing arrived in ${newDir}; see ${join(home, 'log', 'maillog')}`)
    return { rate: done.reached / done.seconds, seconds: done.seconds, delivered: done.reached, complete: done.complete }
  } finally {
    await app.close()
    await rm(home, { recursive: true, force: true })
    await rm(userHome, { recursive: true, force: true })
  }
}

const fmt = (r: Delivered): string => `${r.rate.toFixed(0)} msg/s`
const note = (r: Delivered): string => `(${r.delivered} in ${r.seconds.toFixed(2)} s${r.complete ? '' : `, stopped after ${MAX_SECONDS} s`})`

const missing = missingTools(['root', 'postfix', 'smtp-source', 'postsuper', 'postqueue'])
console.log(`${MESSAGES} messages of ~${SIZE} bytes to one local mailbox (Maildir), delivery only, same run`)
if (missing.length > 0) {
  console.log(notMeasured('local delivery vs Postfix virtual(8)', missingMessage(missing)))
  process.exit(0)
}
try {
  const theirs = await postfixRun()
  console.log(line('Postfix virtual(8) → Maildir (defaults)', fmt(theirs), note(theirs)))
  for (const perDestination of [4, 16]) {
    const label = `Mailroom queue → local delivery → Maildir (perDestination ${perDestination})`
    try {
      const ours = await mailroomRun(perDestination)
      const ratio = ours.rate / theirs.rate
      console.log(line(label, fmt(ours), `${note(ours)} ratio ${ratio.toFixed(2)}× (target ≥ 1.00×: ${ratio >= 1 ? 'met' : 'NOT met'})`))
    } catch (error) {
      console.log(notMeasured(label, (error as Error).message))
    }
  }
} finally {
  await stopAll()
}
