// The connection test against real servers: Dovecot (IMAP with STARTTLS and a self-signed certificate) and a
// submission server (smtp-server with AUTH). Each failure is reported at the right step, in words a person can act on.
import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { testAccount, testServer } from '../../../src/main/accounts/connection-test'
import { createResolver } from '../../../src/main/dns/resolver'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { freePorts } from '../../support/ports'
import { describeWithServers } from '../../support/requirements'
import type { AccountSettings } from '../../../src/shared/contract'

describeWithServers('account connection test (Dovecot, SMTP submission)', ['dovecot', 'root'], () => {
  let dovecot: DovecotInstance
  let smtp: SMTPServer
  let smtpPort = 0
  // DNS is not used for IP addresses; an unreachable resolver proves it.
  const resolver = createResolver({ servers: ['127.0.0.1:9'], timeoutMs: 500, tries: 1 })
  const options = { resolver, hostname: 'box.test' }

  beforeAll(async () => {
    dovecot = await startDovecot()
    smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alice' && auth.password === 'secret') callback(null, { user: 'alice' })
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
      }
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()))
    smtpPort = (smtp.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => (smtp === undefined ? resolve() : smtp.close(() => resolve())))
    await dovecot?.stop()
  })

  const settings = (over: Partial<AccountSettings['imap']> = {}, withSmtp = false): AccountSettings => ({
    email: 'alice@imap.test',
    imap: { host: dovecot.address, port: dovecot.imapPort, security: 'starttls', user: 'alice', tls: { rejectUnauthorized: false }, ...over },
    ...(withSmtp ? { smtp: { host: '127.0.0.1', port: smtpPort, security: 'none' as const } } : {})
  })

  it('passes every step with the right password (IMAP and submission)', async () => {
    const result = await testAccount(settings({}, true), 'secret', options)
    expect(result.ok).toBe(true)
    expect(result.imap.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', true], ['tls', true], ['auth', true]])
    expect(result.imap[2]?.detail).toMatch(/Accepted without verification.*self-signed/)
    expect(result.imap[3]?.detail).toBe('Logged in as alice.')
    expect(result.smtp?.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', true], ['tls', true], ['auth', true]])
  })

  it('says the server refused the login for a wrong password, at the auth step', async () => {
    const result = await testAccount(settings({}, true), 'wrong', options)
    expect(result.ok).toBe(false)
    const auth = result.imap.at(-1)
    expect(auth).toMatchObject({ step: 'auth', ok: false })
    expect(auth?.detail).toMatch(/^The server refused the login for alice: check the user name and password/)
    expect(result.smtp?.at(-1)).toMatchObject({ step: 'auth', ok: false, detail: expect.stringMatching(/refused the login for alice.*535/) })
  })

  it('stops at the tcp step when nothing listens', async () => {
    const [port] = await freePorts(1)
    const steps = await testServer({ protocol: 'imap', host: '127.0.0.1', port: port as number, security: 'tls', user: 'alice', password: 'secret', rejectUnauthorized: true }, options)
    expect(steps.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', false]])
    expect(steps[1]?.detail).toMatch(/Nothing is listening on 127\.0\.0\.1:\d+ \(connection refused\)/)
  })

  it('stops at the tls step with default verification and names the self-signed certificate', async () => {
    const result = await testAccount(settings({ tls: undefined }), 'secret', options)
    expect(result.imap.map((s) => [s.step, s.ok])).toEqual([['dns', true], ['tcp', true], ['tls', false]])
    expect(result.imap[2]?.detail).toMatch(/certificate for imap\.test is self-signed \(issued by imap\.test itself\)/)
  })

  it('stops at the dns step for a name that does not exist', async () => {
    const dnsless = { resolver: createResolver({ servers: ['127.0.0.1:9'], timeoutMs: 300, tries: 1 }), hostname: 'box.test' }
    const steps = await testServer({ protocol: 'imap', host: 'no-such-host.invalid', port: 993, security: 'tls', user: 'a', password: 'b', rejectUnauthorized: true }, dnsless)
    expect(steps).toEqual([{ step: 'dns', ok: false, detail: expect.stringMatching(/no-such-host\.invalid (does not exist|could not be looked up)/) }])
  })
})
