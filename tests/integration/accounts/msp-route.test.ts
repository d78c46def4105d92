// The account as MSP: mail from an account's identity goes to the account's submission server (smart host), logging in
// with the password from the secret store, through the app's real router. Needs the container wiring of account routes.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../../src/main/app/container'

const containerSource = readFileSync(resolve(import.meta.dirname, '../../../src/main/app/container.ts'), 'utf8')
const wired = containerSource.includes('accountRouteFor')

describe.skipIf(!wired)('account submission server as smart host (needs accountRoute wiring in container.ts)', () => {
  let smtp: SMTPServer
  let port = 0
  let home: string
  let app: App
  const received: Array<{ user: string | undefined; from: string; to: string[]; data: Buffer }> = []
  const logins: string[] = []

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
      onAuth(auth, _session, callback) {
        logins.push(`${auth.username}:${auth.password}`)
        if (auth.username === 'alice' && auth.password === 'secret') callback(null, { user: 'alice' })
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          received.push({ user: session.user as string | undefined, from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks) })
          callback()
        })
      }
    })
    await new Promise<void>((done) => smtp.listen(0, '127.0.0.1', () => done()))
    port = (smtp.server.address() as AddressInfo).port
    home = await mkdtemp(join(tmpdir(), 'mailroom-msp-'))
    // routes.default is direct: without the account route this mail would go to remote.test's MX (which does not exist).
    await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'box.test', queue: { undoSendSeconds: 0 } }))
    app = await createApp({ mode: 'browser', home })
    await app.startRunner()
  })
  afterAll(async () => {
    await app?.close()
    await new Promise<void>((done) => (smtp === undefined ? done() : smtp.close(() => done())))
    if (home !== undefined) await rm(home, { recursive: true, force: true })
  })

  it('sends from an identity of a new account through its submission server with the stored password', async () => {
    const added = await app.dispatch('accounts.add', {
      settings: {
        email: 'alice@imap.test', name: 'Alice',
        imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'alice' },
        smtp: { host: '127.0.0.1', port, security: 'none' },
        identities: [{ email: 'sales@imap.test', name: 'Sales' }]
      },
      password: 'secret'
    })
    expect(added.ok).toBe(true)
    const sent = await app.dispatch('compose.send', { from: 'sales@imap.test', to: ['bob@remote.test'], subject: 'Via the provider', text: 'Hello' })
    expect(sent.ok).toBe(true)
    await app.queue.flush()
    expect(logins).toEqual(['alice:secret'])
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ user: 'alice', from: 'sales@imap.test', to: ['bob@remote.test'] })
    expect((await simpleParser(received[0]?.data as Buffer)).from?.value[0]).toEqual({ name: 'Sales', address: 'sales@imap.test' })
    const [message] = await (async () => { const r = await app.dispatch('outbox.list', {}); return r.ok ? (r.value as Array<{ recipients: Array<{ state: string }> }>) : [] })()
    expect(message?.recipients[0]?.state).toBe('sent')
  })
})
