// npm test: build, run every suite (vitest: unit, renderer, integration; Playwright: e2e), then print one line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const results = join(root, 'test-results')
mkdirSync(results, { recursive: true })
const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', FORCE_COLOR: process.env.FORCE_COLOR ?? '0' }
const totals = { passed: 0, failed: 0, skipped: 0 }
const run = (cmd, args, extraEnv = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } }).status

function finish() {
  console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
  process.exit(totals.failed > 0 ? 1 : 0)
}

// Debian packages for the server suites: installed when missing and we are root (CI and fresh machines).
run('bash', [join(root, 'scripts', 'install-deps.sh')])

console.log('\n=== build ===')
if (run('npx', ['electron-vite', 'build']) !== 0) {
  console.error('build failed: no test can run')
  totals.failed += 1
  finish()
}

const only = process.argv[2] // optional: unit | renderer | integration | e2e

if (only === undefined || only !== 'e2e') {
  console.log('\n=== vitest ===')
  const out = join(results, 'vitest.json')
  rmSync(out, { force: true })
  const projects = only === undefined ? [] : ['--project', only]
  const status = run('npx', ['vitest', 'run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`])
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'))
    totals.passed += report.numPassedTests
    totals.failed += report.numFailedTests
    totals.skipped += report.numPendingTests + report.numTodoTests
    // A file that failed to load counts as a failure even though it ran no test.
    const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length
    totals.failed += brokenFiles
    if (status !== 0 && report.numFailedTests === 0 && brokenFiles === 0) totals.failed += 1
  } else {
    console.error('vitest wrote no report: counting it as one failure')
    totals.failed += 1
  }
}

if (only === undefined || only === 'e2e') {
  console.log('\n=== playwright (e2e) ===')
  const out = join(results, 'playwright.json')
  rmSync(out, { force: true })
  const status = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out })
  if (existsSync(out)) {
    const { stats, errors } = JSON.parse(readFileSync(out, 'utf8'))
    totals.passed += stats.expected + stats.flaky
    totals.failed += stats.unexpected + (errors?.length ?? 0)
    totals.skipped += stats.skipped
    if (status !== 0 && stats.unexpected === 0 && (errors?.length ?? 0) === 0) totals.failed += 1
  } else {
    console.error('playwright wrote no report: counting it as one failure')
    totals.failed += 1
  }
}

finish()
