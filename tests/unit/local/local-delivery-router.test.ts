// The router with MAILROOM_HOME paths: local recipients go through the real expander (aliases, .forward) and the local delivery agent.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { pathsFor } from '../../../src/main/config/paths'
import { createRouter } from '../../../src/main/delivery/router'
import type { Deliverer, DeliveryRequest } from '../../../src/main/delivery/types'
import { compileAliases } from '../../../src/main/local/aliases-db'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { memoryLogger } from '../../../src/main/log/logger'
import type { EnqueueInput } from '../../../src/main/queue/submission'
import { fakeResolver } from '../delivery/fake-resolver'

let home: string
beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'mailroom-local-router-')) })
afterEach(async () => { await rm(home, { recursive: true, force: true }) })

const DATA = Buffer.from('From: bob@remote.test\r\nSubject: hi\r\n\r\nHello.\r\n')
const request = (recipients: string[]): DeliveryRequest => ({ queueId: 'Q1', sender: 'bob@remote.test', recipients, data: DATA, queuedAt: 0 })
const direct: Deliverer & { calls: number } = {
  calls: 0,
  async deliver(r) { direct.calls += 1; return r.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: { text: 'ok' } })) },
  async close() {}
}

async function setup() {
  const paths = pathsFor(home)
  const aliceHome = join(home, 'users', 'alice')
  await mkdir(aliceHome, { recursive: true, mode: 0o755 })
  await mkdir(paths.etc, { recursive: true })
  await writeFile(join(paths.etc, 'aliases'), 'postmaster: alice\nteam: alice, far@remote.test\n')
  expect((await compileAliases(paths.etc)).ok).toBe(true)
  const config = parseConfig({ hostname: 'desk.local', local: { users: [{ name: 'alice', home: aliceHome }] } })
  const queued: EnqueueInput[] = []
  const router = createRouter({
    config, localDomains: localDomainsFrom(['desk.local', 'localhost']), mailRoot: paths.mail, direct, resolver: fakeResolver({}, {}),
    log: memoryLogger(), paths, enqueue: async (input) => { queued.push(input) }
  })
  return { router, paths, aliceHome, queued }
}

describe('router with paths: the local delivery agent', () => {
  it('expands aliases: a local copy into the Maildir and the remote member queued again, nothing sent directly', async () => {
    const { router, paths, queued } = await setup()
    const [outcome] = await router.deliver(request(['team@desk.local']))
    expect(outcome).toMatchObject({ status: 'sent', reply: { host: 'local', human: 'Delivered to the local mailbox of alice, far@remote.test (forwarded).' } })
    const names = await readdir(join(paths.mail, 'alice', 'Maildir', 'new'))
    expect(await readFile(join(paths.mail, 'alice', 'Maildir', 'new', names[0] as string), 'utf8')).toMatch(/^Return-Path: <bob@remote\.test>\r\nDelivered-To: alice@desk\.local\r\n/)
    expect(queued.map((q) => q.recipients)).toEqual([[{ address: 'far@remote.test' }]])
    expect(queued[0]?.data.toString()).toMatch(/^Delivered-To: team@desk\.local\r\n/)
    expect(direct.calls).toBe(0)
  })

  it('bounces an unknown local name with 5.1.1 and keeps the records directory under MAILROOM_HOME/var', async () => {
    const { router, paths, aliceHome } = await setup()
    expect((await router.deliver(request(['nobody-here@localhost'])))[0]).toMatchObject({ status: 'failed', reply: { enhanced: '5.1.1' } })
    await writeFile(join(aliceHome, '.forward'), '\\alice, "|exit 75"\n')
    expect((await router.deliver(request(['alice@localhost'])))[0]).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.0' } })
    expect(await readdir(join(paths.home, 'var', 'local-delivery'))).toHaveLength(1)
  })
})
