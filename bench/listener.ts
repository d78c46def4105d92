// Loopback listener accepting mail with durable commit, side by side with Postfix smtpd: smtp-source, 16 sessions.
//
// Same run, same load generator (Postfix's smtp-source: 16 sessions, N messages of ~SIZE bytes, one recipient each,
// a new connection per message as sendmail-like clients do; `-d` runs keep the connection), timed from its start to
// its exit (it exits after the last 250). Both sides commit durably before the 250 (Postfix's cleanup fsyncs the
// queue file; our listener answers after QueueService.submit's fsyncs), and neither delivers anything meanwhile:
// - Postfix: a throwaway instance (tests/support/postfix.ts) with `smtpd_data_restrictions = check_client_access
//   static:HOLD`, so cleanup files every message straight into the hold queue (no qmgr work); then once more with
//   `defer_transports = smtp` instead (qmgr moves each message to the deferred queue: what a held transport costs).
// - Mailroom: createApp({mode: 'daemon'}) + startRunner() in this process with `listener: {port, hosts}` and a
//   deliverer that holds every delivery (bench/support/bench-mail.ts), so the queue runner takes the first messages
//   and waits. The recipient is remote (bob@sink.test), allowed by relay.ownUser (smtp-source runs as our uid).
// Rounds alternate Postfix and Mailroom (BENCH_LISTENER_ROUNDS, default 2). One more Mailroom round sends to a
// local user instead (no relay check, so no /proc/net/tcp lookup per session): where the time goes. Needs root, postfix and smtp-source;
// otherwise it says so and exits 0. BENCH_LISTENER_MESSAGES sets N (default 2000); every wait stops after
// BENCH_MAX_SECONDS (default 60).
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createApp } from '../src/main/app/container'
import { stopAll } from '../tests/support/cleanup'
import { freePort } from '../tests/support/ports'
import { startPostfix, type PostfixInstance } from '../tests/support/postfix'
import { run, runOk } from '../tests/support/proc'
import { missingMessage, missingTools } from '../tests/support/requirements'
import { countEntries, countFilesDeep, holdingDeliverer, homeWithConfig, line, notMeasured, seconds, waitForCount } from './support/bench-mail'
import { MAX_SECONDS } from './support/measure'

const MESSAGES = Number(process.env.BENCH_LISTENER_MESSAGES ?? 2000)
const ROUNDS = Number(process.env.BENCH_LISTENER_ROUNDS ?? 2)
const SIZE = 2048
const SENDER = 'alice@bench.test'
const RECIPIENT = 'bob@sink.test'
const POSTFIX_ADDRESS = '127.0.0.13'

interface Accepted {
  rate: number
  seconds: number
  accepted: number
}

/** smtp-source against address:port; `keep` sends all of a session's messages over one connection (-d). */
async function smtpSource(address: string, port: number, keep: boolean, recipient = RECIPIENT): Promise<number> {
  const args = ['-s', '16', '-m', String(MESSAGES), '-l', String(SIZE), '-f', SENDER, '-t', recipient, ...(keep ? ['-d'] : []), `${address}:${port}`]
  const start = process.hrtime.bigint()
  const result = await run('smtp-source', args, { timeoutMs: MAX_SECONDS * 1000 })
  const took = seconds(start)
  if (result.code !== 0) throw new Error(`smtp-source ${args.join(' ')} exited with ${result.code}: ${(result.stdout + result.stderr).trim().slice(0, 500)}`)
  return took
}

async function postfixRound(postfix: PostfixInstance, queue: 'hold' | 'deferred', keep: boolean): Promise<Accepted> {
  const etc = join(postfix.dir, 'etc')
  await run('postsuper', ['-c', etc, '-d', 'ALL'], { timeoutMs: 30_000 })
  const took = await smtpSource(postfix.address, postfix.port, keep)
  const queued = queue === 'hold'
    ? () => countFilesDeep(join(postfix.dir, 'spool', 'hold'))
    : async () => (await Promise.all(['incoming', 'active', 'deferred'].map((q) => countFilesDeep(join(postfix.dir, 'spool', q))))).reduce((a, b) => a + b, 0)
  // Files move between queue directories while they are counted: one may be seen twice, so cap at N.
  const accepted = Math.min(MESSAGES, (await waitForCount(queued, MESSAGES, process.hrtime.bigint(), 10)).reached)
  return { rate: accepted / took, seconds: took, accepted }
}

async function usePostfixQueue(postfix: PostfixInstance, queue: 'hold' | 'deferred'): Promise<void> {
  const etc = join(postfix.dir, 'etc')
  const settings = queue === 'hold'
    ? ['smtpd_data_restrictions = check_client_access static:HOLD', 'defer_transports =']
    : ['smtpd_data_restrictions =', 'defer_transports = smtp']
  await runOk('postconf', ['-c', etc, '-e', ...settings])
  await runOk('postfix', ['-c', etc, 'reload'])
  await new Promise((resolve) => setTimeout(resolve, 500))
}

/** `recipient` remote (relay for our own uid: a /proc/net/tcp lookup per session) or the local user "bench". */
async function mailroomRound(keep: boolean, recipient = RECIPIENT): Promise<Accepted> {
  const port = await freePort('127.0.0.1')
  const home = await homeWithConfig({
    hostname: 'bench.test', dns: { servers: [], allowLoopback: true }, accounts: [],
    listener: { port, hosts: ['127.0.0.1'] },
    local: { users: [{ name: 'bench', home: '/nonexistent' }] }
  })
  const deliverer = holdingDeliverer()
  const app = await createApp({ mode: 'daemon', home, deliverer })
  try {
    if (!(await app.startRunner())) throw new Error('could not take the queue-runner role')
    const took = await smtpSource('127.0.0.1', port, keep, recipient)
    const found = await waitForCount(() => countEntries(join(home, 'spool', 'data')), MESSAGES, process.hrtime.bigint(), 10)
    if (!found.complete) throw new Error(`only ${found.reached} of ${MESSAGES} messages are in the spool; see ${join(home, 'log', 'maillog')}`)
    return { rate: found.reached / took, seconds: took, accepted: found.reached }
  } finally {
    deliverer.release()
    await app.close()
    await rm(home, { recursive: true, force: true })
  }
}

const fmt = (r: Accepted): string => `${r.rate.toFixed(0)} msg/s`
const note = (r: Accepted): string => `(${r.accepted} in ${r.seconds.toFixed(2)} s)`

const missing = missingTools(['root', 'postfix', 'smtp-source', 'postsuper'])
console.log(`${MESSAGES} messages of ~${SIZE} bytes, one remote recipient each, smtp-source -s 16, ${ROUNDS} round(s), same run`)
if (missing.length > 0) {
  console.log(notMeasured('listener vs Postfix smtpd', missingMessage(missing)))
  process.exit(0)
}
try {
  const postfix = await startPostfix({
    address: POSTFIX_ADDRESS, port: await freePort(POSTFIX_ADDRESS), domains: ['bench.test'],
    mainCf: { smtpd_client_connection_rate_limit: '0', smtpd_client_message_rate_limit: '0', smtpd_data_restrictions: 'check_client_access static:HOLD' }
  })
  const ratios: Record<string, number[]> = { new: [], keep: [] }
  for (const keep of [false, true]) {
    const mode = keep ? 'keep' : 'new'
    const label = keep ? 'one connection per session (-d)' : 'a connection per message'
    for (let round = 1; round <= ROUNDS; round++) {
      const theirs = await postfixRound(postfix, 'hold', keep)
      let ours: Accepted | null = null
      let failure = ''
      try {
        ours = await mailroomRound(keep)
      } catch (error) {
        failure = (error as Error).message
      }
      console.log(line(`[${label}, round ${round}] Postfix smtpd → hold queue`, fmt(theirs), note(theirs)))
      if (ours === null) {
        console.log(notMeasured(`[${label}, round ${round}] Mailroom listener → spool`, failure))
      } else {
        ratios[mode]?.push(ours.rate / theirs.rate)
        console.log(line(`[${label}, round ${round}] Mailroom listener → spool`, fmt(ours), `${note(ours)} ratio ${(ours.rate / theirs.rate).toFixed(2)}×`))
      }
    }
  }
  try {
    const local = await mailroomRound(false, 'bench@bench.test')
    console.log(line('[a connection per message] Mailroom listener, local recipient (no relay check)', fmt(local), note(local)))
  } catch (error) {
    console.log(notMeasured('[a connection per message] Mailroom listener, local recipient', (error as Error).message))
  }
  await usePostfixQueue(postfix, 'deferred')
  const deferred = await postfixRound(postfix, 'deferred', false)
  console.log(line('[a connection per message] Postfix smtpd, defer_transports = smtp', fmt(deferred), note(deferred)))
  for (const [mode, list] of Object.entries(ratios)) {
    if (list.length === 0) continue
    const mean = list.reduce((a, b) => a + b, 0) / list.length
    console.log(`ratio Mailroom / Postfix (hold), ${mode === 'new' ? 'a connection per message' : 'one connection per session'}: ${list.map((r) => r.toFixed(2)).join(', ')} (mean ${mean.toFixed(2)}×; target ≥ 1.00×: ${mean >= 1 ? 'met' : 'NOT met'})`)
  }
  await postfix.stop()
} finally {
  await stopAll()
}
