// IMAP initial sync from Dovecot against a raw imapflow FETCH of the same headers, then the 100k-message folder in
// Chromium (first rows, local search, scroll) and the serve process's memory with that cache.
//
// Per size (BENCH_SYNC_SIZES, default "10000,100000") one Dovecot user gets that many small messages written
// straight into its Maildir before its first login (bench/support/dovecot-seed.ts). A first raw FETCH (not timed)
// lets Dovecot build its index and cache, so both timed sides read a warm server. Then, side by side:
// - raw: imapflow connect, SELECT INBOX, one `FETCH 1:*` with the sync's own HEADER_QUERY (src/main/imap/sync.ts:
//   uid, flags, envelope, size, internalDate, bodyStructure, References), counting messages; connect to logout;
// - Mailroom: syncAccount() (src/main/imap/sync-account.ts) into a fresh cache (node:sqlite): connect, folder list,
//   UID SEARCH, FETCH in batches newest first, written into SQLite; call to return;
// - raw again, so drift between the runs shows.
// Target: Mailroom ≤ 1.2× raw. Then, for the largest size, `mailroom serve` on that MAILROOM_HOME and Chromium
// (bench/support/browser-measure.ts): targets first rows < 100 ms, local search < 50 ms, RSS < 200 MB.
// Needs root, dovecot, Node ≥ 22.5 (node:sqlite: run it with `npm run bench sync`), and for the browser part a built
// app (out/) and /usr/bin/chromium. Every step is bounded by BENCH_MAX_SECONDS (default 300 here).
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { loadSqlite, sqliteProblem } from '../src/main/cache/db'
import { configSchema } from '../src/main/config/schema'
import { HEADER_QUERY, SYNC_BATCH } from '../src/main/imap/sync'
import { syncAccount } from '../src/main/imap/sync-account'
import { stopAll } from '../tests/support/cleanup'
import { startDovecot } from '../tests/support/dovecot'
import { missingMessage, missingTools } from '../tests/support/requirements'
import { homeWithConfig, line, notMeasured } from './support/bench-mail'
import { CHROMIUM, describeTimings, measureBrowser, type BrowserFigures } from './support/browser-measure'
import { rawBatchedFetch, rawFetch, SEARCH_WORD, seedMaildir, type RawFetch } from './support/dovecot-seed'
import { builtCliExists, median } from './support/measure'

const SIZES = (process.env.BENCH_SYNC_SIZES ?? '10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0)
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 300)
const TRIES = Number(process.env.BENCH_BROWSER_TRIES ?? 5)
const ROUNDS = Number(process.env.BENCH_SYNC_ROUNDS ?? 2)
const ACCOUNT_ID = 'work'

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${MAX_SECONDS} s`)), MAX_SECONDS * 1000) })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

const mean = (runs: RawFetch[]): number => runs.reduce((a, r) => a + r.seconds, 0) / runs.length
const rateNote = (r: RawFetch): string => `${r.messages} messages, ${(r.messages / r.seconds).toFixed(0)} msg/s`

function accountConfig(port: number, user: string): Record<string, unknown> {
  return { id: ACCOUNT_ID, email: `${user}@imap.test`, name: 'Bench', imap: { host: '127.0.0.1', port, security: 'none', user, password: 'secret' } }
}

async function noSqliteReason(): Promise<string | null> {
  if ((await loadSqlite()) !== null) return null
  return `${sqliteProblem()} (run it with \`npm run bench sync\`, which uses Node 24)`
}

const missing = missingTools(['root', 'dovecot'])
console.log(`IMAP initial sync from Dovecot, sizes ${SIZES.join(', ')}; bounded by ${MAX_SECONDS} s per step`)
if (missing.length > 0) {
  console.log(notMeasured('IMAP sync vs raw imapflow FETCH', missingMessage(missing)))
  process.exit(0)
}
const noSqlite = await noSqliteReason()
const users = Object.fromEntries(SIZES.map((n) => [`u${n}`, 'secret']))
const homes: string[] = []
try {
  const dovecot = await startDovecot({ users })
  let browserHome: string | null = null
  for (const size of SIZES) {
    const user = `u${size}`
    const seedStart = Date.now()
    const seeded = await seedMaildir(dovecot.maildirOf(user), user, size, Date.now() + MAX_SECONDS * 1000)
    console.log(`\n--- ${size} messages (${seeded} written into the Maildir in ${((Date.now() - seedStart) / 1000).toFixed(1)} s) ---`)
    if (seeded < size) {
      console.log(notMeasured(`sync of ${size}`, `only ${seeded} messages could be written within ${MAX_SECONDS} s`))
      continue
    }
    for (let w = 1; w <= 2; w++) {
      const warm = await withTimeout(rawFetch(dovecot.imapPort, user, HEADER_QUERY, MAX_SECONDS), 'warm-up FETCH')
      console.log(line(`warm-up ${w}: raw FETCH (Dovecot builds its index and cache; not compared)`, `${warm.seconds.toFixed(2)} s`, `${warm.messages} messages`))
    }
    const raw: RawFetch[] = []
    const batched: RawFetch[] = []
    const ours: RawFetch[] = []
    let failure = noSqlite ?? ''
    for (let round = 1; round <= ROUNDS; round++) {
      const one = await withTimeout(rawFetch(dovecot.imapPort, user, HEADER_QUERY, MAX_SECONDS), 'raw FETCH')
      raw.push(one)
      console.log(line(`round ${round}: raw imapflow, one FETCH 1:* (the sync's header fields)`, `${one.seconds.toFixed(2)} s`, rateNote(one)))
      const inBatches = await withTimeout(rawBatchedFetch(dovecot.imapPort, user, HEADER_QUERY, SYNC_BATCH, MAX_SECONDS), 'batched FETCH')
      batched.push(inBatches)
      console.log(line(`round ${round}: raw imapflow, UID SEARCH + FETCH ${SYNC_BATCH} at a time, newest first`, `${inBatches.seconds.toFixed(2)} s`, rateNote(inBatches)))
      if (noSqlite !== null) break
      const home = await homeWithConfig({ hostname: 'bench.test', dns: { servers: [], allowLoopback: true }, accounts: [accountConfig(dovecot.imapPort, user)], listener: { enabled: false } }, 'mailroom-bench-sync-')
      homes.push(home)
      const account = configSchema.parse({ accounts: [accountConfig(dovecot.imapPort, user)] }).accounts[0]
      if (account === undefined) throw new Error('account config did not parse')
      try {
        const result = await withTimeout(syncAccount({ account, cacheDir: join(home, 'cache') }), 'syncAccount')
        const synced = { seconds: result.ms / 1000, messages: result.messages }
        ours.push(synced)
        if (size === SIZES[SIZES.length - 1]) browserHome = home
        console.log(line(`round ${round}: Mailroom syncAccount() into a fresh cache (SQLite)`, `${synced.seconds.toFixed(2)} s`, rateNote(synced)))
      } catch (error) {
        failure = (error as Error).message
        break
      }
    }
    const rawMean = mean(raw)
    console.log(line(`raw one FETCH, mean of ${raw.length}`, `${rawMean.toFixed(2)} s`, `batched, mean: ${mean(batched).toFixed(2)} s (${(mean(batched) / rawMean).toFixed(2)}× the single FETCH)`))
    if (ours.length === 0) {
      console.log(notMeasured(`Mailroom initial sync of ${size}`, failure))
    } else {
      const ratio = mean(ours) / rawMean
      console.log(line(`Mailroom initial sync of ${size}, mean of ${ours.length}`, `${mean(ours).toFixed(2)} s`,
        `${ratio.toFixed(2)}× the raw FETCH (target ≤ 1.20×: ${ratio <= 1.2 ? 'met' : 'NOT met'}); ${(mean(ours) / mean(batched)).toFixed(2)}× the batched raw fetch`))
    }
  }

  const largest = SIZES[SIZES.length - 1] as number
  console.log(`\n--- ${largest}-message folder in Chromium (mailroom serve) ---`)
  const browserMissing = !builtCliExists() ? 'the app is not built (out/main/cli.js)' : !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : browserHome === null ? `no synced cache of ${largest} messages (see above)` : null
  let figures: BrowserFigures | null = null
  let browserFailure = browserMissing ?? ''
  if (browserMissing === null && browserHome !== null) {
    try {
      figures = await withTimeout(measureBrowser(browserHome, ACCOUNT_ID, SEARCH_WORD, TRIES), 'the browser measurements')
    } catch (error) {
      browserFailure = (error as Error).message.split('\n')[0] ?? ''
    }
  }
  if (figures === null) {
    for (const row of ['open the folder: first rows', 'local search', 'scroll', 'serve RSS']) console.log(notMeasured(row, browserFailure))
  } else {
    // Judged on the median of the tries (time to the frame after the DOM change); the first (cold) try is printed too.
    const firstOpen = median(figures.openInbox.map((t) => t.frame))
    const firstSearch = median(figures.search.map((t) => t.frame))
    console.log(line('app load (navigation start) → first message rows', figures.loadToRows === null ? 'n/a' : `${figures.loadToRows.toFixed(0)} ms`, ''))
    console.log(line(`open the inbox (click, from the Outbox) → first rows, ${figures.openInbox.length} tries`, `${firstOpen.toFixed(0)} ms`, `${describeTimings(figures.openInbox)}; target < 100 ms: ${firstOpen < 100 ? 'met' : 'NOT met'}`))
    console.log(line(`local search "${SEARCH_WORD}" (Enter → results shown), ${figures.search.length} tries`, `${firstSearch.toFixed(0)} ms`, `${describeTimings(figures.search)}; target < 50 ms: ${firstSearch < 50 ? 'met' : 'NOT met'}; "${figures.searchResults.trim()}"`))
    console.log(line(`scroll to the middle of the ${figures.rowsLoaded} rows loaded → rows painted`, `${(figures.scroll[0]?.frame ?? NaN).toFixed(0)} ms`, describeTimings(figures.scroll)))
    console.log(line(`mailroom serve RSS with the ${largest}-message cache open`, `${figures.rssMb.toFixed(0)} MB`, `peak ${figures.peakRssMb.toFixed(0)} MB; target < 200 MB: ${figures.rssMb < 200 ? 'met' : 'NOT met'}`))
    for (const n of figures.notes) console.log(`note: ${n}`)
  }
} finally {
  await stopAll()
  for (const home of homes) await rm(home, { recursive: true, force: true })
}
