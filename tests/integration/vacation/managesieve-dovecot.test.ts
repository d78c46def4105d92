// The ManageSieve client against Dovecot's managesieved (RFC 5804): STARTTLS, AUTH PLAIN, upload + activate; then an
// LMTP delivery to alice makes Dovecot's Sieve send the vacation reply through the Postfix test MX.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import { IMAP_DOMAIN, startDovecot, type DovecotInstance } from '../../support/dovecot'
import { startPostfix, type PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { ManageSieveClient, uploadVacation, type ManageSieveOptions } from '../../../src/main/vacation/managesieve'
import { VACATION_SCRIPT_NAME, vacationSieveScript } from '../../../src/main/vacation/sieve'
import { AppError } from '../../../src/shared/result'

describeWithServers('ManageSieve upload to Dovecot, vacation reply through Postfix', ['root', 'dovecot', 'postfix'], () => {
  let dovecot: DovecotInstance
  let postfix: PostfixInstance

  const login = (extra: Partial<ManageSieveOptions> = {}): ManageSieveOptions => ({
    host: dovecot.address, port: dovecot.sievePort, security: 'starttls', user: 'alice', password: 'secret',
    tls: { rejectUnauthorized: false }, ...extra
  })

  beforeAll(async () => {
    postfix = await startPostfix({ address: '127.0.0.2', domains: ['remote.test'] })
    dovecot = await startDovecot({ submissionHost: '127.0.0.2:25' })
  })
  afterAll(() => stopAll())
  beforeEach(() => postfix.clearMessages())

  it('uploads and activates the script over STARTTLS; LISTSCRIPTS shows it active and GETSCRIPT returns it byte for byte', async () => {
    const script = vacationSieveScript({
      enabled: true, subject: 'Auto: %s', body: 'Je suis absente — à lundi.\n.\nAlice', days: 1,
      addresses: [`alice@${IMAP_DOMAIN}`], startsAt: Date.now() - 3_600_000, endsAt: Date.now() + 86_400_000, from: null
    })
    const result = await uploadVacation({ ...login(), scriptName: VACATION_SCRIPT_NAME, script, activate: true })
    expect(result).toMatchObject({ scriptName: VACATION_SCRIPT_NAME, active: true })
    expect(result.server).toMatch(/Dovecot/)

    const client = await ManageSieveClient.open(login())
    try {
      expect(client.capabilities.get('SIEVE')).toMatch(/vacation/)
      expect(await client.listScripts()).toEqual([{ name: VACATION_SCRIPT_NAME, active: true }])
      expect(await client.getScript(VACATION_SCRIPT_NAME)).toBe(script)
    } finally {
      await client.logout()
    }

    const original = [
      'From: Bob <bob@remote.test>', `To: Alice <alice@${IMAP_DOMAIN}>`, 'Subject: Lunch on Friday?',
      'Message-ID: <lunch-1@remote.test>', 'Date: Wed, 25 Nov 2026 12:00:00 +0000', '', 'Are you free?', ''
    ].join('\r\n')
    await dovecot.deliver('alice', original, { from: 'bob@remote.test' })
    const [reply] = await postfix.waitForMessages(1, 20_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n--- dovecot log ---\n${await dovecot.log()}`)
    })
    expect(reply?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)
    expect(reply?.raw).toMatch(/^Return-Path: <>$/m)
    expect(reply?.raw).toMatch(/^Auto-Submitted: auto-replied/m)
    expect(reply?.raw).toMatch(/^Subject: Auto: Lunch on Friday\?$/m)
    expect(reply?.raw).toMatch(/^In-Reply-To: <lunch-1@remote\.test>$/m)
  })

  it('a CHECKSCRIPT/PUTSCRIPT refusal carries Dovecot\'s compile error', async () => {
    const error = await uploadVacation({ ...login(), scriptName: 'broken', script: 'vacashun "x";\r\n', activate: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('SIEVE_ERROR')
    expect((error as AppError).message).toMatch(/vacashun/)
  })

  it('plain (security "none") on a loopback test server works too, and DELETESCRIPT removes an inactive script', async () => {
    const client = await ManageSieveClient.open(login({ security: 'none' }))
    try {
      await client.putScript('scratch', 'keep;\r\n')
      expect((await client.listScripts()).map((s) => s.name)).toContain('scratch')
      await client.deleteScript('scratch')
      expect((await client.listScripts()).map((s) => s.name)).not.toContain('scratch')
    } finally {
      await client.logout()
    }
  })

  it('a wrong password is a clear SIEVE_AUTH error', async () => {
    const error = await ManageSieveClient.open(login({ password: 'wrong' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('SIEVE_AUTH')
    expect((error as AppError).message).toMatch(/refused the login of "alice": NO .*Authentication failed/)
  })

  it('with default certificate checking the self-signed certificate is refused before any password is sent', async () => {
    const error = await ManageSieveClient.open(login({ tls: undefined })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('SIEVE_TLS')
    expect((error as AppError).message).toMatch(/certificate is not trusted/)
    // Dovecot saw the connection end during the handshake, with no login attempt.
    const deadline = Date.now() + 5000
    while (!/managesieve-login: .*no auth attempts.*TLS handshaking/.test(await dovecot.log()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(await dovecot.log()).toMatch(/managesieve-login: Info: Disconnected: .*\(no auth attempts in \d+ secs\): user=<>.*TLS handshaking/)
  })
})
