// A .forward to a remote address: the copy is queued again (same envelope sender, Delivered-To added) and reaches the remote MX (real Postfix).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import type { DnsInstance } from '../../support/dnsmasq'
import { makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx } from '../../support/world'

describeWithServers('local delivery forwarding to a remote address', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string

  beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx())
  })
  afterAll(() => stopAll())
  beforeEach(async () => {
    home = await makeHome({ dnsServer: dns.server, config: { local: { users: [{ name: 'alice', home: '/tmp/replaced' }] } } })
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { local: { users: Array<{ home: string }> } }
    const aliceHome = join(home, 'users', 'alice')
    ;(config.local.users[0] as { home: string }).home = aliceHome
    await writeFile(join(home, 'config.json'), JSON.stringify(config))
    await mkdir(aliceHome, { recursive: true, mode: 0o755 })
    await writeFile(join(aliceHome, '.forward'), '\\alice\nbob@remote.test\n', { mode: 0o644 })
    await postfix.clearMessages()
  })
  afterEach(() => removeHome(home))

  it('keeps a copy in alice\'s Maildir and sends one to bob@remote.test with the original sender', async () => {
    const message = 'From: Carol <carol@elsewhere.test>\nTo: alice@mailroom.test\nSubject: pass it on\nMessage-ID: <fwd-1@elsewhere.test>\n\nPlease forward.\n'
    expect((await runCli(home, ['sendmail', '-f', 'carol@elsewhere.test', '-i', 'alice@mailroom.test'], message)).code).toBe(0)
    expect((await runCli(home, ['sendmail', '-q'])).code).toBe(0)
    // The forwarded copy is a new message in the queue; a second run delivers it if the first did not get to it.
    if ((await postfix.waitForMessages(1, 3000).catch(() => [])).length === 0) expect((await runCli(home, ['sendmail', '-q'])).code).toBe(0)
    const [delivered] = await postfix.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Return-Path: <carol@elsewhere\.test>$/m)
    expect(delivered?.raw).toMatch(/^Delivered-To: alice@mailroom\.test$/m)
    expect(delivered?.raw).toContain('Message-ID: <fwd-1@elsewhere.test>')
    expect(await readdir(join(home, 'mail', 'alice', 'Maildir', 'new'))).toHaveLength(1)
    expect(JSON.parse((await runCli(home, ['mailq', '--json'])).stdout)).toEqual([])
    expect(await readFile(join(home, 'log', 'maillog'), 'utf8')).toMatch(/to=<bob@remote\.test>, relay=mx\.remote\.test\[127\.0\.0\.2\]:25, .*status=sent/)
  })
})
