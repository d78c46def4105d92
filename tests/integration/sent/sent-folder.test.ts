// Sent copies against a real Dovecot: a message sent through the queue lands in alice's Sent mailbox exactly once,
// a Dovecot crash during the APPEND keeps the job and never re-sends the mail, a lost answer after the APPEND does
// not duplicate the copy, and a wrong password keeps the job with a clear error.
import { ImapFlow } from 'imapflow'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { systemClock } from '../../../src/main/app/clock'
import type { AccountConfig } from '../../../src/main/config/schema'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { memoryLogger } from '../../../src/main/log/logger'
import { QueueRunner } from '../../../src/main/queue/runner'
import { Spool } from '../../../src/main/queue/spool'
import { createSentCopies, type SentCopies } from '../../../src/main/sent/copies'
import { createImapAppender } from '../../../src/main/sent/imap-appender'
import { SentJobStore } from '../../../src/main/sent/store'
import type { SentAppender } from '../../../src/main/sent/types'
import { addSentSpecialUse, killDovecot, restartDovecot } from '../../support/dovecot-control'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { describeWithServers } from '../../support/requirements'
import { startCutProxy } from './cut-proxy'

/** A deliverer that says "sent" for everyone and counts its calls (nothing leaves the machine). */
function sayingSent(): Deliverer & { requests: DeliveryRequest[] } {
  const fake = {
    requests: [] as DeliveryRequest[],
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      fake.requests.push(request)
      return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: { code: 250, enhanced: '2.0.0', text: '250 2.0.0 Ok: queued', host: 'mx.remote.test' } }))
    },
    async close() {}
  }
  return fake
}

function rawMessage(n: number): Buffer {
  return Buffer.from([
    'Date: Wed, 25 Nov 2026 09:15:00 +0000', 'From: Alice <alice@imap.test>', 'To: bob@remote.test', `Subject: Sent copy ${n}`,
    `Message-ID: <sent-copy-${n}.${process.pid}@imap.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Hello Bob, message ${n}.`, ''
  ].join('\r\n'))
}

describeWithServers('Sent folder copies into real Dovecot', ['dovecot', 'root'], () => {
  let dovecot: DovecotInstance
  const cleanups: (() => Promise<void>)[] = []
  let counter = 0

  beforeAll(async () => {
    dovecot = await startDovecot()
  })
  afterAll(async () => {
    await dovecot?.stop()
  })
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  const account = (over: Partial<AccountConfig['imap']> = {}): AccountConfig => ({
    id: 'alice', email: 'alice@imap.test',
    imap: { host: dovecot.address, port: dovecot.imapPort, security: 'none', user: 'alice', password: 'secret', ...over }
  })

  /** The queue (fake "sent" deliverer) wired to Sent copies, as the container does it. */
  async function world(imap: AccountConfig, appender?: SentAppender): Promise<{ dir: string; spool: Spool; runner: QueueRunner; copies: SentCopies; deliverer: ReturnType<typeof sayingSent>; log: ReturnType<typeof memoryLogger> }> {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-sent-it-'))
    const log = memoryLogger()
    const spool = await Spool.open(dir, { clock: systemClock, log })
    const copies = createSentCopies({ spoolDir: dir, config: { accounts: [imap], identities: [] }, log, clock: systemClock, ...(appender ? { appender } : {}) })
    const deliverer = sayingSent()
    const runner = new QueueRunner({ spool, deliverer, clock: systemClock, log, onFinished: (env, path) => copies.onFinished(env, path) })
    cleanups.push(async () => {
      await copies.close()
      await rm(dir, { recursive: true, force: true })
    })
    return { dir, spool, runner, copies, deliverer, log }
  }

  async function send(w: Awaited<ReturnType<typeof world>>, bcc: string[] = []): Promise<{ id: string; messageId: string }> {
    counter += 1
    const data = rawMessage(counter)
    const messageId = `<sent-copy-${counter}.${process.pid}@imap.test>`
    const env = await w.spool.enqueue({ data, sender: 'alice@imap.test', recipients: [{ address: 'bob@remote.test' }, ...bcc.map((address) => ({ address }))], origin: 'ui', messageId, subject: `Sent copy ${counter}` })
    await w.runner.runOnce({ force: false })
    return { id: env.id, messageId }
  }

  /** What alice's mailboxes hold: special-use of each, and the copies with this Message-ID in the Sent mailbox. */
  async function inspect(messageId: string, mailbox = 'Sent'): Promise<{ specialUse: Record<string, string | undefined>; copies: { flags: string[]; internalDate: string; subject: string | undefined; bcc: string[] }[] }> {
    const client = new ImapFlow({ host: dovecot.address, port: dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'secret' }, logger: false })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const list = await client.list()
      const specialUse = Object.fromEntries(list.map((m) => [m.path, m.specialUseSource === 'extension' ? m.specialUse : undefined]))
      if (!list.some((m) => m.path === mailbox)) return { specialUse, copies: [] }
      const lock = await client.getMailboxLock(mailbox, { readOnly: true })
      try {
        const found: { flags: string[]; internalDate: string; subject: string | undefined; bcc: string[] }[] = []
        for await (const msg of client.fetch('1:*', { envelope: true, flags: true, internalDate: true })) {
          if (msg.envelope?.messageId === messageId) {
            found.push({ flags: [...(msg.flags ?? [])].filter((f) => f !== '\\Recent'), internalDate: new Date(msg.internalDate as Date).toISOString(), subject: msg.envelope?.subject, bcc: (msg.envelope?.bcc ?? []).map((a) => a.address ?? '') })
          }
        }
        return { specialUse, copies: found }
      } finally {
        lock.release()
      }
    } finally {
      await client.logout().catch(() => client.close())
    }
  }

  it('a message sent through the queue lands in Sent exactly once, \\Seen, with its Date as internal date and its Bcc', async () => {
    const w = await world(account())
    const { id, messageId } = await send(w, ['carol@remote.test'])
    expect(w.deliverer.requests).toHaveLength(1)
    expect(await readdir(join(w.dir, 'data'))).toEqual([])
    expect(await new SentJobStore(w.dir).ids()).toEqual([id])
    expect(await w.copies.runOnce()).toMatchObject({ appended: 1, failed: 0 })
    expect(await w.copies.runOnce({ force: true })).toMatchObject({ appended: 0 })
    const seen = await inspect(messageId)
    // This Dovecot has no \Sent mailbox and no CREATE-SPECIAL-USE: a plain "Sent" was created.
    expect(Object.keys(seen.specialUse).sort()).toEqual(['INBOX', 'Sent'])
    expect(seen.copies).toEqual([{ flags: ['\\Seen'], internalDate: '2026-11-25T09:15:00.000Z', subject: 'Sent copy 1', bcc: ['carol@remote.test'] }])
    expect(await readdir(join(w.dir, 'sent-copy'))).toEqual([])
    expect(w.log.lines).toContain(`info sent: ${id}: copy appended to "Sent" of account alice (attempt 1)`)
  })

  it('Dovecot crashing during the APPEND keeps the job and never re-sends; after the restart the copy lands once', async () => {
    const real = createImapAppender()
    let crashNext = true
    const crashing: SentAppender = {
      async open(a) {
        const session = await real.open(a)
        return {
          async append(request) {
            if (crashNext) {
              crashNext = false
              await killDovecot(dovecot)
            }
            return session.append(request)
          },
          close: () => session.close()
        }
      }
    }
    const w = await world(account(), crashing)
    const { id, messageId } = await send(w)
    const first = await w.copies.runOnce()
    expect(first).toMatchObject({ appended: 0, failed: 1 })
    const store = new SentJobStore(w.dir)
    const afterCrash = await store.read(id)
    expect(afterCrash).toMatchObject({ ok: true, job: { attempts: 1, appendTried: true, lastError: { code: 'IMAP_CONNECT', message: expect.stringContaining('could not be reached') } } })
    // Still down: the next try cannot connect; the job says so and stays.
    expect(await w.copies.runOnce({ force: true })).toMatchObject({ failed: 1 })
    expect(await store.read(id)).toMatchObject({ ok: true, job: { lastError: { code: 'IMAP_CONNECT', message: expect.stringContaining('could not be reached') } } })
    // The queue never sees this message again.
    await w.runner.runOnce({ force: true })
    expect(w.deliverer.requests).toHaveLength(1)
    await restartDovecot(dovecot)
    expect(await w.copies.runOnce({ force: true })).toMatchObject({ appended: 1 })
    expect((await inspect(messageId)).copies).toHaveLength(1)
    expect(await store.ids()).toEqual([])
    expect(w.deliverer.requests).toHaveLength(1)
  })

  it('a connection lost after the APPEND reached the server does not give a second copy (Message-ID found)', async () => {
    const proxy = await startCutProxy({ host: dovecot.address, port: dovecot.imapPort })
    cleanups.push(() => proxy.close())
    const w = await world(account({ port: proxy.port }))
    const { id, messageId } = await send(w)
    proxy.cutAfterAppend = true
    expect(await w.copies.runOnce()).toMatchObject({ appended: 0, failed: 1 })
    expect(proxy.cuts).toBe(1)
    // The server did store it: the job could not know.
    expect((await inspect(messageId)).copies).toHaveLength(1)
    expect(await w.copies.runOnce({ force: true })).toMatchObject({ appended: 0, present: 1 })
    expect((await inspect(messageId)).copies).toHaveLength(1)
    expect(w.log.lines).toContain(`info sent: ${id}: copy was already in "Sent" of account alice (attempt 2)`)
  })

  it('a wrong password keeps the job with a clear lastError and retries in an hour', async () => {
    const w = await world(account({ password: 'wrong' }))
    const { id } = await send(w)
    const before = Date.now()
    expect(await w.copies.runOnce()).toMatchObject({ failed: 1 })
    const read = await new SentJobStore(w.dir).read(id)
    expect(read).toMatchObject({ ok: true, job: { attempts: 0, failures: 1, lastError: { code: 'IMAP_AUTH', message: expect.stringMatching(/refused the login for alice: check the user name and password/) } } })
    if (read.ok) expect(read.job.nextAttemptAt).toBeGreaterThanOrEqual(before + 3600_000)
    expect(w.log.lines.some((l) => l.startsWith(`error sent: ${id}:`) && l.includes('refused the login'))).toBe(true)
    expect(w.deliverer.requests).toHaveLength(1)
  })

  it('uses the mailbox the server marks \\Sent (special-use), not a folder named Sent', async () => {
    const marked = await startDovecot()
    cleanups.push(() => marked.stop())
    await addSentSpecialUse(marked, 'Sent Items')
    const saved = dovecot
    dovecot = marked
    cleanups.push(async () => {
      dovecot = saved
    })
    const w = await world(account())
    const { id, messageId } = await send(w)
    expect(await w.copies.runOnce()).toMatchObject({ appended: 1 })
    const seen = await inspect(messageId, 'Sent Items')
    expect(seen.specialUse['Sent Items']).toBe('\\Sent')
    expect(seen.specialUse).not.toHaveProperty('Sent')
    expect(seen.copies).toHaveLength(1)
    expect(w.log.lines).toContain(`info sent: ${id}: copy appended to "Sent Items" of account alice (attempt 1)`)
  })
})
