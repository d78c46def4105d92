// Accounts, drafts and compose through the app's IPC handlers against a real Dovecot: adding an account stores the
// password in the 0600 secrets file (not in config.json), drafts land in Dovecot's Drafts mailbox with \Draft and
// are replaced on the next save, and a reply with attachments leaves with In-Reply-To/References (read back by mailparser).
import { ImapFlow } from 'imapflow'
import { simpleParser } from 'mailparser'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp, type App } from '../../../src/main/app/container'
import type { Deliverer, DeliveryRequest } from '../../../src/main/delivery/types'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { describeWithServers } from '../../support/requirements'

describeWithServers('accounts, drafts and compose through the app (Dovecot)', ['dovecot', 'root'], () => {
  let dovecot: DovecotInstance
  let home: string
  let app: App
  const delivered: DeliveryRequest[] = []
  const events: Array<{ name: string; payload: unknown }> = []

  beforeAll(async () => {
    dovecot = await startDovecot()
    home = await mkdtemp(join(tmpdir(), 'mailroom-accounts-it-'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'box.test' }))
    const deliverer: Deliverer = {
      deliver: async (request) => {
        delivered.push(request)
        return request.recipients.map((recipient) => ({ recipient, status: 'sent' as const, reply: { code: 250, text: 'ok', enhanced: '2.0.0' } }))
      },
      close: async () => {}
    }
    app = await createApp({ mode: 'browser', home, deliverer })
    app.events.subscribe((name, payload) => events.push({ name, payload }))
  })
  afterAll(async () => {
    await app?.close()
    await dovecot?.stop()
    if (home !== undefined) await rm(home, { recursive: true, force: true })
  })

  const settings = () => ({
    email: 'alice@imap.test', name: 'Alice',
    imap: { host: dovecot.address, port: dovecot.imapPort, security: 'starttls' as const, user: 'alice', tls: { rejectUnauthorized: false } },
    identities: [{ email: 'team@imap.test', name: 'The Team' }]
  })

  async function draftsMailbox(): Promise<Array<{ subject: string; flags: string[]; uid: number }>> {
    const client = new ImapFlow({ host: dovecot.address, port: dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'secret' }, logger: false })
    await client.connect()
    try {
      const lock = await client.getMailboxLock('Drafts')
      try {
        const out: Array<{ subject: string; flags: string[]; uid: number }> = []
        for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true })) out.push({ subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].sort(), uid: m.uid })
        return out
      } finally {
        lock.release()
      }
    } finally {
      await client.logout()
    }
  }

  it('adds an account: config.json without the password, secrets.json 0600 with it, and an accounts.changed event', async () => {
    const added = await app.dispatch('accounts.add', { settings: settings(), password: 'secret' })
    expect(added).toMatchObject({ ok: true, value: { settings: { id: 'alice-imap.test', email: 'alice@imap.test' }, hasPassword: true, passwordInConfig: false } })
    const config = await readFile(join(home, 'config.json'), 'utf8')
    expect(config).toContain('"alice-imap.test"')
    expect(config).not.toContain('secret')
    expect((await stat(join(home, 'secrets.json'))).mode & 0o777).toBe(0o600)
    expect(events.find((e) => e.name === 'accounts.changed')?.payload).toMatchObject({ accounts: [{ id: 'alice-imap.test' }, { id: 'local' }] })
    expect(await app.dispatch('accounts.secretStorage', {})).toMatchObject({ ok: true, value: { backend: 'file', weak: false } })
    const tested = await app.dispatch('accounts.test', { settings: settings(), accountId: 'alice-imap.test' })
    expect(tested).toMatchObject({ ok: true, value: { ok: true } })
  })

  it('saves a draft into Dovecot\'s Drafts with \\Draft, and replaces it on the second save', async () => {
    const first = await app.dispatch('drafts.save', { accountId: 'alice-imap.test', from: 'alice@imap.test', to: ['bob@remote.test'], subject: 'Draft one', text: 'first words' })
    expect(first.ok).toBe(true)
    const id = first.ok ? (first.value as { id: string }).id : ''
    // the server copy is made in the background: wait for it
    await expect.poll(async () => (await draftsMailbox().catch(() => [])).map((m) => m.subject), { timeout: 15_000 }).toEqual(['Draft one'])
    expect((await draftsMailbox())[0]?.flags).toEqual(['\\Draft', '\\Seen'])
    await app.dispatch('drafts.save', { id, accountId: 'alice-imap.test', from: 'alice@imap.test', to: ['bob@remote.test'], subject: 'Draft two', text: 'second words' })
    await expect.poll(async () => (await draftsMailbox()).map((m) => m.subject), { timeout: 15_000 }).toEqual(['Draft two'])
    expect(await app.dispatch('drafts.list', {})).toMatchObject({ ok: true, value: [{ id, subject: 'Draft two' }] })
    expect(await app.dispatch('drafts.delete', { id })).toMatchObject({ ok: true, value: { deleted: true } })
    await expect.poll(async () => (await draftsMailbox()).length, { timeout: 15_000 }).toBe(0)
  })

  it('sends a reply with attachments, In-Reply-To, References and the identity\'s name', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake pdf bytes \x00\x01\x02')
    const sent = await app.dispatch('compose.send', {
      from: 'team@imap.test', to: ['bob@remote.test'], subject: 'Re: the plan', text: 'See the attached plan.',
      inReplyTo: '<parent@remote.test>', references: ['<root@remote.test>'],
      attachments: [{ filename: 'Plan für 2027.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }]
    })
    expect(sent.ok).toBe(true)
    await app.startRunner()
    await app.queue.flush()
    const request = delivered.at(-1) as DeliveryRequest
    const parsed = await simpleParser(request.data)
    expect(parsed.from?.value[0]).toEqual({ name: 'The Team', address: 'team@imap.test' })
    expect(parsed.inReplyTo).toBe('<parent@remote.test>')
    expect(parsed.references).toEqual(['<root@remote.test>', '<parent@remote.test>'])
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['Plan für 2027.pdf'])
    expect(parsed.attachments[0]?.content.equals(pdf)).toBe(true)
  })

  it('removes the account and its stored password', async () => {
    expect(await app.dispatch('accounts.remove', { id: 'alice-imap.test' })).toMatchObject({ ok: true, value: { removed: true } })
    expect(JSON.parse(await readFile(join(home, 'secrets.json'), 'utf8')).secrets).toEqual({})
    expect(await app.dispatch('accounts.list', {})).toMatchObject({ ok: true, value: [{ id: 'local' }] })
  })
})
