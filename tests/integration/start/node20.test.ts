// The mail system on plain Node 20 (no node:sqlite): sendmail, mailq, newaliases, -bv and a queue run work with the system's node.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeHome, removeHome, requireBuild } from '../../support/mailroom'

/** The machine's own Node (Debian's /usr/bin/node is 20 here), not the Node 24 that npm puts first on PATH. */
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p))
const systemMajor = SYSTEM_NODE === undefined ? null : Number(spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim())
const onCi = process.env.CI === 'true'

function run(home: string, args: string[], input = ''): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(SYSTEM_NODE as string, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, MAILROOM_HOME: home }, timeout: 60_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const suite = systemMajor !== null && systemMajor < 22 ? describe : onCi ? describe : describe.skip
if (suite === describe.skip) console.warn(`SKIPPED node20.test.ts: no Node < 22 at /usr/bin/node (found ${String(systemMajor)})`)

suite('the mail system on the system Node (no node:sqlite)', () => {
  let home = ''
  beforeAll(async () => {
    requireBuild()
    expect(systemMajor, 'a Node older than 22.13 at /usr/bin/node is what this suite checks').not.toBeNull()
    home = await makeHome()
  })
  afterAll(async () => { if (home !== '') await removeHome(home) })

  it('runs without node:sqlite', () => {
    const probe = spawnSync(SYSTEM_NODE as string, ['-e', 'require("node:sqlite")'], { encoding: 'utf8' })
    expect(probe.status).not.toBe(0)
  })

  it('queues with sendmail, lists with mailq, delivers a local message with -q', async () => {
    const me = userInfo().username
    const sent = run(home, ['sendmail', '-t', '-i'], `From: ${me}@mailroom.test\nTo: ${me}@mailroom.test\nSubject: on node 20\n\nhello\n`)
    expect(sent.stderr).toBe('')
    expect(sent.code).toBe(0)
    const listed = run(home, ['mailq'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/1 Request|Kbytes in 1 Request/)
    const flushed = run(home, ['sendmail', '-q'])
    expect(flushed.code).toBe(0)
    const fresh = await readdir(join(home, 'mail', me, 'Maildir', 'new'))
    expect(fresh).toHaveLength(1)
    expect(run(home, ['mailq']).stdout).toMatch(/Mail queue is empty/)
  })

  it('answers newaliases and -bv', () => {
    const compiled = run(home, ['newaliases'])
    expect(compiled.code, compiled.stderr).toBe(0)
    const verified = run(home, ['sendmail', '-bv', 'someone@remote.example'])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/deliverable/)
  })
})
