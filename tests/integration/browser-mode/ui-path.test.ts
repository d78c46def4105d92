// The UI path without a browser: `mailroom serve` as a real process, the WebSocket transport, compose → spool → Postfix, and IMAP reading.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { OutboxMessage } from '../../../src/shared/contract'
import { stopAll } from '../../support/cleanup'
import type { DnsInstance } from '../../support/dnsmasq'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { makeHome, removeHome, requireBuild, spoolFiles, type ServeProcess } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx, openUiSession, type UiSession } from '../../support/world'
import { connectWs, type WsClient } from '../../support/ws-client'

describeWithServers('browser mode: WebSocket transport → spool → Postfix, and IMAP reading from Dovecot', ['root', 'postfix', 'dnsmasq', 'dovecot'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let dovecot: DovecotInstance
  let home: string
  let session: UiSession
  let serve: ServeProcess
  let client: WsClient

  beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx())
    dovecot = await startDovecot({ address: '127.0.0.1' })
    await dovecot.deliver('alice', 'From: Carol <carol@remote.test>\r\nTo: alice@imap.test\r\nSubject: Seeded by LMTP\r\nMessage-ID: <seed-1@remote.test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nThis message was seeded through LMTP.\r\n')
    home = await makeHome({ dnsServer: dns.server, imapPort: dovecot.imapPort })
    session = await openUiSession(home)
    ;({ serve, client } = session)
  })
  afterAll(async () => {
    await session?.close()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  it('refuses a WebSocket with a wrong token', async () => {
    await expect(connectWs(serve.origin, 'wrong-token')).rejects.toThrow('HTTP 401')
  })

  it('sends a composed message: queued at once, then sent, and Postfix holds it', async () => {
    const states: OutboxMessage[] = []
    const sent = new Promise<OutboxMessage>((resolve) => {
      client.on('outbox.changed', (message) => {
        states.push(message)
        if (message.state === 'sent') resolve(message)
      })
    })
    const result = await client.call('compose.send', { from: 'alice@imap.test', to: ['bob@remote.test'], subject: 'From the UI path', text: 'Typed in the renderer.' })
    expect(result.ok).toBe(true)
    const id = result.ok ? result.value.id : ''
    const done = await sent
    expect(done.id).toBe(id)
    expect(done.recipients).toEqual([expect.objectContaining({ address: 'bob@remote.test', state: 'sent' })])
    expect(states[0]?.state).toBe('queued')
    const [delivered] = await postfix.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    expect(delivered?.raw).toContain('Subject: From the UI path')
    expect(delivered?.raw).toMatch(/^From: "?Alice"? <alice@imap\.test>$/m)
    expect(await spoolFiles(home, 'queued')).toEqual([])
    const outbox = await client.call('outbox.list', {})
    expect(outbox.ok && outbox.value.find((m) => m.id === id)?.state).toBe('sent')
  })

  it('answers an invalid compose with the field and the reason, and queues nothing', async () => {
    const result = await client.call('compose.send', { from: 'alice@imap.test', to: ['bob@@remote.test'], subject: 'x', text: 'y' })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(result.ok ? '' : result.error.message).toContain('to.0: "bob@@remote.test" is not a valid address')
    expect(await spoolFiles(home, 'queued')).toEqual([])
  })

  it('lists the INBOX of the account and reads the seeded message', async () => {
    const accounts = await client.call('accounts.list', {})
    expect(accounts).toMatchObject({ ok: true, value: [{ id: 'work', email: 'alice@imap.test', name: 'Alice' }, { id: 'local', name: 'Local' }] })
    expect(accounts.ok ? accounts.value : []).toHaveLength(2)
    const list = await client.call('mail.list', { accountId: 'work' })
    expect(list.ok).toBe(true)
    const row = list.ok ? list.value.find((m) => m.subject === 'Seeded by LMTP') : undefined
    expect(row).toMatchObject({ from: 'Carol <carol@remote.test>', seen: false })
    const read = await client.call('mail.read', { accountId: 'work', uid: row?.uid ?? 0 })
    expect(read).toMatchObject({ ok: true, value: { subject: 'Seeded by LMTP', messageId: '<seed-1@remote.test>', to: ['alice@imap.test'] } })
    expect(read.ok ? read.value.text : '').toContain('This message was seeded through LMTP.')
  })

  it('says clearly when the account does not exist or the message is gone', async () => {
    expect(await client.call('mail.list', { accountId: 'nope' })).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } })
    expect(await client.call('mail.read', { accountId: 'work', uid: 999999 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })
})

describeWithServers('IMAP errors reach the UI as clear messages', ['root', 'dovecot'], () => {
  let dovecot: DovecotInstance
  let home: string
  let session: UiSession
  let client: WsClient

  beforeAll(async () => {
    requireBuild()
    dovecot = await startDovecot({ address: '127.0.0.1' })
    home = await makeHome({ config: { accounts: [
      { id: 'badpass', email: 'alice@imap.test', imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'none', user: 'alice', password: 'wrong' } },
      { id: 'down', email: 'bob@imap.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'bob', password: 'secret' } }
    ] } })
    session = await openUiSession(home)
    ;({ client } = session)
  })
  afterAll(async () => {
    await session?.close()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  it('a wrong password is IMAP_AUTH naming the user', async () => {
    const result = await client.call('mail.list', { accountId: 'badpass' })
    expect(result).toMatchObject({ ok: false, error: { code: 'IMAP_AUTH' } })
    expect(result.ok ? '' : result.error.message).toContain('refused the login for alice')
  })

  it('an unreachable server is IMAP_CONNECT naming host and port', async () => {
    const result = await client.call('mail.list', { accountId: 'down' })
    expect(result).toMatchObject({ ok: false, error: { code: 'IMAP_CONNECT' } })
    expect(result.ok ? '' : result.error.message).toContain('127.0.0.1:1')
  })
})
