// Smoke test of the test harness itself: real dnsmasq, Postfix and Dovecot start, answer, and stop cleanly.
import { Resolver } from 'node:dns/promises'
import { ImapFlow } from 'imapflow'
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { stopAll } from '../../support/cleanup'
import { startDns, standardZone, type DnsInstance } from '../../support/dnsmasq'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { startPostfix, type PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'

/** One SMTP transaction with nodemailer's low-level client; rejects with the server's reply on failure. */
async function smtpSend(host: string, port: number, from: string, to: string, raw: string): Promise<SMTPConnection.SentMessageInfo> {
  const conn = new SMTPConnection({ host, port, name: 'client.test', ignoreTLS: true, logger: false, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 })
  await new Promise<void>((resolve, reject) => {
    conn.once('error', reject)
    conn.connect((err) => (err ? reject(err) : resolve()))
  })
  try {
    return await new Promise((resolve, reject) => {
      conn.send({ from, to: [to] }, raw, (err, info) => (err || !info ? reject(err ?? new Error('no send info')) : resolve(info)))
    })
  } finally {
    conn.quit()
  }
}

const message = (to: string, subject: string): string =>
  `From: sender@client.test\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@client.test>\r\n\r\nHello.\r\n`

describeWithServers('test harness (dnsmasq, Postfix, Dovecot)', ['root', 'dnsmasq', 'postfix', 'dovecot'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let dovecot: DovecotInstance

  beforeAll(async () => {
    dns = await startDns({ records: standardZone() })
    postfix = await startPostfix({ access: { 'later@remote.test': '450 4.2.0 try again later' } })
    dovecot = await startDovecot()
  })

  afterAll(stopAll)

  test('dnsmasq answers the standard zone and NXDOMAIN for unknown .test names', async () => {
    const resolver = new Resolver({ timeout: 2000, tries: 1 })
    resolver.setServers([dns.server])
    // Node 24 adds type: 'MX' to each record; only exchange and priority matter.
    const mx = async (name: string) => (await resolver.resolveMx(name)).map(({ exchange, priority }) => ({ exchange, priority }))
    expect(await mx('remote.test')).toEqual([{ exchange: 'mx.remote.test', priority: 10 }])
    expect(await resolver.resolve4('mx.remote.test')).toEqual(['127.0.0.2'])
    const backup = await mx('backup.test')
    expect(backup.sort((a, b) => a.priority - b.priority)).toEqual([
      { exchange: 'down.backup.test', priority: 5 },
      { exchange: 'mx2.backup.test', priority: 20 }
    ])
    expect(await mx('nullmx.test')).toEqual([{ exchange: '', priority: 0 }])
    await expect(resolver.resolveMx('amx.test')).rejects.toMatchObject({ code: 'ENODATA' })
    await expect(resolver.resolveMx('nosuch.test')).rejects.toMatchObject({ code: 'ENOTFOUND' })
  })

  test('Postfix accepts mail on 127.0.0.2:25 and delivers it to the Maildir with Delivered-To', async () => {
    const info = await smtpSend(postfix.address, postfix.port, 'sender@client.test', 'someone@remote.test', message('someone@remote.test', 'smoke one'))
    expect(info.accepted).toEqual(['someone@remote.test'])
    expect(info.response).toMatch(/^250 /)
    const [delivered] = await postfix.waitForMessages(1)
    expect(delivered?.raw).toMatch(/^Delivered-To: someone@remote\.test$/m)
    expect(delivered?.raw).toContain('Subject: smoke one')
  })

  test('access entries give per-recipient replies, and setAccess changes them', async () => {
    const later = smtpSend(postfix.address, postfix.port, 'sender@client.test', 'later@remote.test', message('later@remote.test', 'smoke later'))
    await expect(later).rejects.toMatchObject({ responseCode: 450 })
    await expect(later).rejects.toThrow(/4\.2\.0 .*try again later/)

    await postfix.setAccess({ 'gone@remote.test': '550 5.1.1 no such user' })
    const gone = smtpSend(postfix.address, postfix.port, 'sender@client.test', 'gone@remote.test', message('gone@remote.test', 'smoke gone'))
    await expect(gone).rejects.toMatchObject({ responseCode: 550 })
    const info = await smtpSend(postfix.address, postfix.port, 'sender@client.test', 'later@remote.test', message('later@remote.test', 'smoke later again'))
    expect(info.accepted).toEqual(['later@remote.test'])
    expect(await postfix.maillog()).toMatch(/reject: RCPT from .*450 4\.2\.0 <later@remote\.test>/)
  })

  test('Dovecot takes mail by LMTP and serves it over IMAP', async () => {
    // Bare LF line ends and a line starting with a dot: the LMTP client must fix up both.
    await dovecot.deliver('alice', 'From: bob@imap.test\nTo: alice@imap.test\nSubject: seeded\n\nfirst line\n.dot line\n')
    const client = new ImapFlow({
      host: dovecot.address, port: dovecot.imapPort, secure: false, doSTARTTLS: false,
      auth: { user: 'alice', pass: 'secret' }, logger: false
    })
    await client.connect()
    try {
      const lock = await client.getMailboxLock('INBOX')
      try {
        const msg = await client.fetchOne('*', { envelope: true, source: true })
        expect(msg).not.toBe(false)
        if (msg === false) return
        expect(msg.envelope?.subject).toBe('seeded')
        expect(msg.source?.toString()).toContain('first line\r\n.dot line\r\n')
      } finally {
        lock.release()
      }
    } finally {
      await client.logout()
    }
  })
})
