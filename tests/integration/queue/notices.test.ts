// Delay warning and lifetime bounce end to end with the real parts: app container, spool, direct delivery to Postfix
// (450 / 550 from its access map), notifier and the local sender's Maildir. Time is injected; the DSNs are parsed back.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { createApp, type App } from '../../../src/main/app/container'
import type { Clock } from '../../../src/main/app/clock'
import { stopAll } from '../../support/cleanup'
import type { DnsInstance } from '../../support/dnsmasq'
import { makeHome, removeHome } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx } from '../../support/world'

const HOUR = 3_600_000
const DAY = 24 * HOUR

function manualClock(start: number): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    setTimeout: () => ({ cancel: () => undefined }),
    advance: (ms) => { now += ms }
  }
}

/** The fields of each block of a message/delivery-status part: per-message first, then one per recipient. */
function statusBlocks(raw: string): Record<string, string>[] {
  const start = raw.search(/Content-Type: message\/delivery-status/i)
  const body = raw.slice(raw.indexOf('\r\n\r\n', start) + 4)
  const end = body.search(/\r\n--/)
  return body.slice(0, end).trim().split(/\r\n\r\n/).map((block) => {
    const fields: Record<string, string> = {}
    for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    return fields
  })
}

async function mailbox(home: string, user: string): Promise<string[]> {
  const dir = join(home, 'mail', user, 'Maildir', 'new')
  const names = (await readdir(dir).catch(() => [])).sort()
  return Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))
}

const MESSAGE = 'From: Alice <alice@mailroom.test>\r\nTo: later@remote.test, bob@remote.test\r\nSubject: Quarterly report\r\nMessage-ID: <q1@mailroom.test>\r\n\r\nThe figures.\r\n'

describeWithServers('delay warnings and bounces into the local mailbox', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string
  let app: App
  let clock: ReturnType<typeof manualClock>

  beforeAll(async () => {
    ;({ dns, postfix } = await startRemoteMx({ 'later@remote.test': '450 4.2.0 mailbox busy, try again later', 'gone@remote.test': '550 5.1.1 no such user here' }))
  })
  afterAll(() => stopAll())
  beforeEach(async () => {
    home = await makeHome({ dnsServer: dns.server, config: { queue: { delayWarning: '4h', lifetime: '5d' } } })
    clock = manualClock(Date.UTC(2026, 10, 25, 9, 0, 0))
    app = await createApp({ mode: 'cli', home, clock })
    expect(await app.queue.becomeRunner()).toBe(true)
    await postfix.clearMessages()
  })
  afterEach(async () => {
    await app.close()
    await removeHome(home)
  })

  it('warns once after 4 hours, bounces after 5 days with 4.4.7, and the reports say what happened', async () => {
    const { id } = await app.queue.submit({
      data: Buffer.from(MESSAGE), sender: 'alice@mailroom.test', origin: 'cli', messageId: '<q1@mailroom.test>', subject: 'Quarterly report',
      recipients: [{ address: 'later@remote.test' }, { address: 'bob@remote.test' }]
    })
    await app.queue.flush()
    expect((await postfix.waitForMessages(1))[0]?.raw).toContain('Delivered-To: bob@remote.test')
    expect(await mailbox(home, 'alice')).toEqual([])

    clock.advance(4 * HOUR + 60_000)
    await app.queue.flush()
    await app.queue.flush()
    const [warning] = await mailbox(home, 'alice')
    expect(await mailbox(home, 'alice')).toHaveLength(1)
    const parsedWarning = await simpleParser(warning as string)
    expect(parsedWarning.subject).toMatch(/Delayed Mail/)
    expect(parsedWarning.headers.get('auto-submitted')).toBe('auto-replied')
    expect(parsedWarning.inReplyTo).toBe('<q1@mailroom.test>')
    const [, delayed] = statusBlocks(warning as string)
    expect(delayed).toMatchObject({ 'final-recipient': 'rfc822; later@remote.test', action: 'delayed', status: '4.2.0' })
    expect(delayed?.['diagnostic-code']).toMatch(/^smtp; 450 .*mailbox busy/)
    expect(delayed?.['remote-mta']).toBe('dns; mx.remote.test')
    expect(delayed?.['will-retry-until']).toBeDefined()

    clock.advance(5 * DAY)
    await app.queue.flush()
    const notices = await mailbox(home, 'alice')
    expect(notices).toHaveLength(2)
    const bounce = notices.find((n) => /Undelivered Mail/.test(n)) as string
    const blocks = statusBlocks(bounce)
    expect(blocks[0]?.['reporting-mta']).toBe('dns; mailroom.test')
    expect(blocks.slice(1)).toHaveLength(1)
    expect(blocks[1]).toMatchObject({ 'final-recipient': 'rfc822; later@remote.test', action: 'failed', status: '4.4.7' })
    const parsedBounce = await simpleParser(bounce)
    expect(parsedBounce.text).toMatch(/later@remote\.test/)
    expect(parsedBounce.text).toMatch(/5 days/)
    expect(bounce).toMatch(/Content-Type: text\/rfc822-headers/i)
    expect(bounce).toContain('Subject: Quarterly report')
    expect(bounce).not.toContain('The figures.')
    expect(bounce).toMatch(/^Return-Path: <>/m)
    expect(await app.queue.spool.get(id)).toBeNull()
  })

  it('fails a 550 recipient at once with a bounce, and freezes a message from <> instead of bouncing it', async () => {
    await app.queue.submit({
      data: Buffer.from(MESSAGE.replace('later@remote.test, bob@remote.test', 'gone@remote.test')), sender: 'alice@mailroom.test', origin: 'cli',
      messageId: '<q2@mailroom.test>', subject: 'Quarterly report', recipients: [{ address: 'gone@remote.test' }]
    })
    const fromNull = await app.queue.submit({
      data: Buffer.from(MESSAGE.replace('later@remote.test, bob@remote.test', 'gone@remote.test')), sender: '', origin: 'local',
      messageId: '<q3@mailroom.test>', subject: 'a bounce', recipients: [{ address: 'gone@remote.test' }]
    })
    await app.queue.flush()
    const [bounce] = await mailbox(home, 'alice')
    expect(await mailbox(home, 'alice')).toHaveLength(1)
    expect(statusBlocks(bounce as string)[1]).toMatchObject({ action: 'failed', status: '5.1.1', 'diagnostic-code': expect.stringMatching(/^smtp; 550 .*no such user/) })
    const frozen = await app.queue.spool.locate(fromNull.id)
    expect(frozen?.state).toBe('hold')
    expect(frozen?.envelope.hold).toMatchObject({ kind: 'freeze', by: 'system' })
  })
})
