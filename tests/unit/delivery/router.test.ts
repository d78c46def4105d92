// The router with fake deliverers: local vs remote, the route chain falling through only on "unreachable", identity → route, bad routes.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import type { Config } from '../../../src/main/config/schema'
import { createRouter, type RouterOptions } from '../../../src/main/delivery/router'
import { routeProblems, selectRoute, validateRoutes } from '../../../src/main/delivery/routes'
import type { SmartHostHop } from '../../../src/main/delivery/smarthost'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../../src/main/delivery/types'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { memoryLogger } from '../../../src/main/log/logger'
import { AppError } from '../../../src/shared/result'
import { fakeResolver } from './fake-resolver'

const DATA = Buffer.from('From: alice@imap.test\r\nSubject: hi\r\n\r\nHello.\r\n')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

type Script = (recipient: string) => Partial<RecipientOutcome> & { status: RecipientOutcome['status'] }

/** A deliverer that answers per recipient from a script and records each call. */
function fake(name: string, script: Script): Deliverer & { calls: DeliveryRequest[]; closed: boolean } {
  const d = {
    calls: [] as DeliveryRequest[],
    closed: false,
    async deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
      d.calls.push(request)
      return request.recipients.map((recipient) => {
        const { status, unreachable, reply } = script(recipient)
        return { recipient, status, reply: reply ?? { text: `${name} says ${status}`, host: name, human: `${name}: ${status}` }, ...(unreachable ? { unreachable } : {}) }
      })
    },
    async close() { d.closed = true }
  }
  return d
}

const sent: Script = () => ({ status: 'sent' })
const unreachable = (name: string): Script => () => ({ status: 'deferred', unreachable: true, reply: { text: 'connection refused', host: name, human: `${name} could not be reached.` } })

function config(raw: Record<string, unknown>): Config {
  return parseConfig({ hostname: 'desk.local', ...raw })
}

const chainConfig = config({
  routes: {
    default: [{ type: 'direct' }, { type: 'smarthost', host: '127.0.0.3', auth: { user: 'alice', password: 'secret' } }],
    work: [{ type: 'smarthost', host: 'smtp.work.test', port: 465, security: 'tls', auth: { user: 'bob', password: 'x' } }]
  },
  identities: [{ email: 'Alice@Imap.test', route: 'default' }, { email: 'bob@work.test', route: 'work' }]
})

async function router(cfg: Config, direct: Deliverer, hosts: Record<string, Deliverer>, extra: Partial<RouterOptions> = {}) {
  const mailRoot = await mkdtemp(join(tmpdir(), 'mailroom-router-'))
  cleanups.push(() => rm(mailRoot, { recursive: true, force: true }))
  const log = memoryLogger()
  const r = createRouter({
    config: cfg, localDomains: localDomainsFrom(['desk.local', 'localhost', 'home.test']), mailRoot, direct,
    resolver: fakeResolver({}, {}), log,
    smarthostFactory: (hop: SmartHostHop) => hosts[hop.host] ?? fake(hop.host, sent),
    ...extra
  })
  return { r, mailRoot, log }
}

function request(recipients: string[], sender = 'alice@imap.test'): DeliveryRequest {
  return { queueId: 'Q1', sender, recipients, data: DATA, queuedAt: 0 }
}

describe('router: local and remote', () => {
  it('delivers local recipients into their Maildir and passes only remote ones to the route', async () => {
    const direct = fake('direct', sent)
    const { r, mailRoot } = await router(chainConfig, direct, {})
    const outcomes = await r.deliver(request(['Bob@home.test', 'carol@remote.test', 'root@localhost']))
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.host])).toEqual([
      ['Bob@home.test', 'sent', 'local'], ['carol@remote.test', 'sent', 'direct'], ['root@localhost', 'sent', 'local']
    ])
    expect(outcomes[0]?.reply.human).toBe('Delivered to the local mailbox of bob.')
    expect(direct.calls.map((c) => c.recipients)).toEqual([['carol@remote.test']])
    const files = await readdir(join(mailRoot, 'bob', 'Maildir', 'new'))
    expect(files).toHaveLength(1)
    const stored = await readFile(join(mailRoot, 'bob', 'Maildir', 'new', files[0] as string), 'utf8')
    expect(stored).toBe(`Return-Path: <alice@imap.test>\r\nDelivered-To: Bob@home.test\r\n${DATA.toString()}`)
    expect(await readdir(join(mailRoot, 'root', 'Maildir', 'new'))).toHaveLength(1)
  })

  it('treats an address without a domain as a local user', async () => {
    const direct = fake('direct', sent)
    const { r, mailRoot } = await router(chainConfig, direct, {})
    expect((await r.deliver(request(['postmaster'])))[0]).toMatchObject({ status: 'sent', reply: { host: 'local' } })
    expect(await readdir(join(mailRoot, 'postmaster', 'Maildir', 'new'))).toHaveLength(1)
    expect(direct.calls).toHaveLength(0)
  })

  it('does not call any remote deliverer for a message with only local recipients', async () => {
    const direct = fake('direct', sent)
    const { r } = await router(chainConfig, direct, {})
    expect((await r.deliver(request(['bob@desk.local'])))[0]?.status).toBe('sent')
    expect(direct.calls).toHaveLength(0)
  })

  it('fails an invalid local mailbox name at once and defers a mailbox that cannot be written', async () => {
    const { r } = await router(chainConfig, fake('direct', sent), {})
    const [bad] = await r.deliver(request(['.hidden@localhost']))
    expect(bad?.status).toBe('failed')
    expect(bad?.reply.enhanced).toBe('5.1.3')
    expect(bad?.reply.human).toMatch(/^\.hidden@localhost is not a valid local mailbox: .*starts with "\."/)
    const full = await router(chainConfig, fake('direct', sent), {}, {
      maildir: { deliver: async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) } }
    })
    const [deferred] = await full.r.deliver(request(['bob@localhost']))
    expect(deferred?.status).toBe('deferred')
    expect(deferred?.reply.enhanced).toBe('4.3.1')
    expect(deferred?.reply.human).toBe('The disk holding the local mailbox of bob@localhost is full; this is temporary.')
  })
})

describe('router: route chain', () => {
  it('tries the next hop only for recipients the previous hop could not reach at all', async () => {
    const direct = fake('direct', (r) => r.startsWith('far') ? unreachable('direct')(r) : r.startsWith('gone') ? { status: 'failed' } : r.startsWith('later') ? { status: 'deferred' } : { status: 'sent' })
    const relay = fake('127.0.0.3', sent)
    const { r, log } = await router(chainConfig, direct, { '127.0.0.3': relay })
    const outcomes = await r.deliver(request(['far@blocked.test', 'gone@remote.test', 'later@remote.test', 'ok@remote.test']))
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.host])).toEqual([
      ['far@blocked.test', 'sent', '127.0.0.3'],
      ['gone@remote.test', 'failed', 'direct'], // a real 5xx stands: no fallback
      ['later@remote.test', 'deferred', 'direct'], // so does a real 4xx
      ['ok@remote.test', 'sent', 'direct']
    ])
    expect(relay.calls.map((c) => c.recipients)).toEqual([['far@blocked.test']])
    expect(relay.calls[0]?.data).toBe(DATA)
    expect(log.lines).toContain('info route: Q1: route default: direct could not reach far@blocked.test; trying smart host 127.0.0.3:587')
  })

  it('keeps a smart host\'s real answer even when it is a refusal', async () => {
    const relay = fake('127.0.0.3', () => ({ status: 'deferred', reply: { text: '535 5.7.8 bad login', host: '127.0.0.3', human: 'refused the login' } }))
    const { r } = await router(chainConfig, fake('direct', unreachable('direct')), { '127.0.0.3': relay })
    const [outcome] = await r.deliver(request(['x@remote.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBeUndefined()
    expect(outcome?.reply.human).toBe('refused the login')
  })

  it('stays unreachable when every hop is, and says what each hop found', async () => {
    const { r } = await router(chainConfig, fake('direct', unreachable('direct')), { '127.0.0.3': fake('127.0.0.3', unreachable('relay')) })
    const [outcome] = await r.deliver(request(['x@remote.test']))
    expect(outcome?.status).toBe('deferred')
    expect(outcome?.unreachable).toBe(true)
    expect(outcome?.reply.host).toBe('relay')
    expect(outcome?.reply.human).toBe('No hop of route default could be reached (direct: direct could not be reached; smart host 127.0.0.3:587: relay could not be reached).')
  })

  it('closes the direct deliverer and every smart host', async () => {
    const direct = fake('direct', sent)
    const relay = fake('127.0.0.3', sent)
    const work = fake('smtp.work.test', sent)
    const { r } = await router(chainConfig, direct, { '127.0.0.3': relay, 'smtp.work.test': work })
    await r.close()
    expect([direct.closed, relay.closed, work.closed]).toEqual([true, true, true])
  })
})

describe('router: identity → route', () => {
  it('uses the route of the identity whose address is the envelope sender, case-insensitively', async () => {
    const direct = fake('direct', sent)
    const work = fake('smtp.work.test', sent)
    const { r } = await router(chainConfig, direct, { 'smtp.work.test': work })
    await r.deliver(request(['x@remote.test'], 'BOB@work.test'))
    expect(work.calls).toHaveLength(1)
    expect(direct.calls).toHaveLength(0)
  })

  it('uses routes.default for unknown senders and for the null sender', () => {
    expect(selectRoute(chainConfig, 'stranger@elsewhere.test')?.name).toBe('default')
    expect(selectRoute(chainConfig, '')?.name).toBe('default')
    expect(selectRoute(chainConfig, 'alice@IMAP.TEST')).toMatchObject({ name: 'default', identity: 'Alice@Imap.test' })
    expect(selectRoute(chainConfig, 'bob@work.test')?.hops[0]).toMatchObject({ type: 'smarthost', host: 'smtp.work.test', port: 465 })
  })

  it('gives a config without routes a direct default route', () => {
    const plain = config({})
    expect(selectRoute(plain, 'a@b.test')).toEqual({ name: 'default', hops: [{ type: 'direct' }] })
    expect(routeProblems(plain)).toEqual([])
  })
})

describe('route validation at start-up', () => {
  it('accepts the documented example', () => {
    expect(() => validateRoutes(chainConfig)).not.toThrow()
  })

  it('refuses an identity whose route does not exist, naming the key and the routes there are', () => {
    const bad = config({ routes: { default: [{ type: 'direct' }] }, identities: [{ email: 'a@b.test', route: 'wrok' }] })
    expect(routeProblems(bad)).toEqual(['identities.0.route: "wrok" (for a@b.test) is not a route (defined: default)'])
    const error = (() => { try { validateRoutes(bad) } catch (e) { return e } })()
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: 'config.json is invalid: identities.0.route: "wrok" (for a@b.test) is not a route (defined: default)' })
    expect((error as AppError).exitCode).toBe(78)
  })

  it('refuses routes without "default", since unlisted senders and bounces use it', () => {
    const bad = config({ routes: { work: [{ type: 'direct' }] }, identities: [{ email: 'a@b.test', route: 'work' }] })
    expect(routeProblems(bad)).toEqual(['routes.default: missing; senders that are not listed in identities (and bounces) use it'])
  })

  it('refuses a login without a secret, XOAUTH2 without an account, and plaintext to a remote smart host', () => {
    const bad = config({
      routes: {
        default: [
          { type: 'smarthost', host: 'smtp.example.test', auth: { user: 'alice' } },
          { type: 'smarthost', host: 'smtp.example.test', auth: { user: 'alice', method: 'XOAUTH2' } },
          { type: 'smarthost', host: 'smtp.example.test', security: 'none' },
          { type: 'smarthost', host: '127.0.0.3', security: 'none' }
        ]
      }
    })
    expect(routeProblems(bad)).toEqual([
      'routes.default.0.auth: no password for alice (set password, or accountId to use that account\'s stored password)',
      'routes.default.1.auth: XOAUTH2 needs accountId (the account whose sign-in gives the token)',
      'routes.default.2.security: "none" (no encryption, login in plaintext) is only allowed for a smart host on this machine (localhost, 127.x.y.z, ::1)'
    ])
  })
})
