// The account connection test: DNS, TCP, TLS (certificate described), login, for the IMAP server and the submission
// server, as steps with sentences a person can act on. Stops each server at its first failed step.
import { connect as tcpConnect, isIP } from 'node:net'
import { lookup } from 'node:dns/promises'
import { ImapFlow } from 'imapflow'
import nodemailer from 'nodemailer'
import type { AccountSettings, ConnectionStep, ConnectionTestResult } from '../../shared/contract'
import { ACCOUNT_TEST_CONNECT_TIMEOUT_MS, ACCOUNT_TEST_LOGIN_TIMEOUT_MS } from '../config/timeouts'
import { DnsLookupError, type MailResolver } from '../dns/resolver'
import { probeTls } from './tls-probe'

export interface ServerUnderTest {
  protocol: 'imap' | 'smtp'
  host: string
  port: number
  security: 'tls' | 'starttls' | 'none'
  user: string
  password: string
  rejectUnauthorized: boolean
}

export interface ConnectionTestOptions {
  resolver: MailResolver
  /** Our host name (EHLO). */
  hostname: string
}

const step = (s: ConnectionStep['step'], ok: boolean, detail: string): ConnectionStep => ({ step: s, ok, detail })

/** The addresses of a host: the configured resolver first, then the system's (hosts file, "localhost"). */
async function resolveHost(host: string, resolver: MailResolver): Promise<{ addresses: string[] } | { error: string }> {
  if (isIP(host) !== 0) return { addresses: [host] }
  try {
    return { addresses: await resolver.resolveAddresses(host) }
  } catch (error) {
    const system = await lookup(host, { all: true }).catch(() => [])
    if (system.length > 0) return { addresses: system.map((a) => a.address) }
    if (error instanceof DnsLookupError && error.kind === 'nxdomain') return { error: `The server name ${host} does not exist in DNS: check its spelling.` }
    if (error instanceof DnsLookupError && error.kind === 'nodata') return { error: `The name ${host} exists but has no address (no A or AAAA record).` }
    return { error: `The server name ${host} could not be looked up (${(error as Error).message}); check the network connection.` }
  }
}

function tcpCheck(address: string, port: number, host: string): Promise<ConnectionStep> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port })
    const where = `${host}:${port}${address !== host ? ` (${address})` : ''}`
    const finish = (result: ConnectionStep): void => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(ACCOUNT_TEST_CONNECT_TIMEOUT_MS, () => finish(step('tcp', false, `No answer from ${where} within ${ACCOUNT_TEST_CONNECT_TIMEOUT_MS / 1000} s: the port may be blocked by a firewall, or the port is wrong.`)))
    socket.once('connect', () => finish(step('tcp', true, `Connected to ${where}.`)))
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish(step('tcp', false, `Nothing is listening on ${where} (connection refused): check the port number and that the server is running.`))
      else finish(step('tcp', false, `${where} cannot be reached (${error.code ?? error.message}).`))
    })
  })
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ACCOUNT_TEST_LOGIN_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), ACCOUNT_TEST_LOGIN_TIMEOUT_MS).unref())])
}

interface LoginError { authenticationFailed?: boolean; responseText?: string; response?: string; code?: string; message?: string }

async function loginImap(server: ServerUnderTest, address: string): Promise<ConnectionStep> {
  const client = new ImapFlow({
    host: address,
    port: server.port,
    secure: server.security === 'tls',
    doSTARTTLS: server.security === 'starttls' ? true : server.security === 'none' ? false : undefined,
    auth: { user: server.user, pass: server.password },
    tls: { rejectUnauthorized: server.rejectUnauthorized, ...(isIP(server.host) === 0 ? { servername: server.host } : {}) },
    logger: false,
    connectionTimeout: ACCOUNT_TEST_CONNECT_TIMEOUT_MS,
    greetingTimeout: ACCOUNT_TEST_CONNECT_TIMEOUT_MS,
    disableAutoIdle: true
  })
  client.on('error', () => undefined)
  try {
    await withTimeout(client.connect(), 'The login')
    await client.logout().catch(() => client.close())
    return step('auth', true, `Logged in as ${server.user}.`)
  } catch (error) {
    client.close()
    const e = error as LoginError
    if (e.authenticationFailed === true) {
      return step('auth', false, `The server refused the login for ${server.user}: check the user name and password${e.responseText !== undefined ? ` (server said: ${e.responseText})` : ''}.`)
    }
    return step('auth', false, `Logging in failed: ${e.responseText ?? e.message ?? String(error)}.`)
  }
}

async function loginSmtp(server: ServerUnderTest, address: string, hostname: string): Promise<ConnectionStep> {
  const transport = nodemailer.createTransport({
    host: address,
    port: server.port,
    secure: server.security === 'tls',
    requireTLS: server.security === 'starttls',
    ignoreTLS: server.security === 'none',
    name: hostname,
    auth: { user: server.user, pass: server.password },
    tls: { rejectUnauthorized: server.rejectUnauthorized, ...(isIP(server.host) === 0 ? { servername: server.host } : {}) },
    connectionTimeout: ACCOUNT_TEST_CONNECT_TIMEOUT_MS,
    greetingTimeout: ACCOUNT_TEST_CONNECT_TIMEOUT_MS
  })
  try {
    await withTimeout(transport.verify(), 'The login')
    return step('auth', true, `Logged in as ${server.user}; the server accepts mail for sending.`)
  } catch (error) {
    const e = error as LoginError
    if (e.code === 'EAUTH') return step('auth', false, `The server refused the login for ${server.user}: check the user name and password (server said: ${e.response ?? e.message ?? ''}).`)
    return step('auth', false, `Logging in failed: ${e.response ?? e.message ?? String(error)}.`)
  } finally {
    transport.close()
  }
}

/** Every step for one server, up to the first failure. */
export async function testServer(server: ServerUnderTest, options: ConnectionTestOptions): Promise<ConnectionStep[]> {
  const steps: ConnectionStep[] = []
  const resolved = await resolveHost(server.host, options.resolver)
  if ('error' in resolved) return [step('dns', false, resolved.error)]
  const address = resolved.addresses[0] as string
  steps.push(step('dns', true, isIP(server.host) !== 0 ? `${server.host} is an IP address (no lookup needed).` : `${server.host} is at ${resolved.addresses.join(', ')}.`))
  const tcp = await tcpCheck(address, server.port, server.host)
  steps.push(tcp)
  if (!tcp.ok) return steps
  if (server.security === 'none') {
    steps.push(step('tls', true, 'Not encrypted (security "none"): the password crosses the network in plain text. Use this only for a server on this computer.'))
  } else {
    const probe = await probeTls({ host: server.host, address, port: server.port, security: server.security, protocol: server.protocol, hostname: options.hostname })
    if (!probe.handshake) return [...steps, step('tls', false, probe.detail)]
    if (!probe.trusted && server.rejectUnauthorized) return [...steps, step('tls', false, probe.detail)]
    steps.push(step('tls', true, probe.trusted ? probe.detail : `Accepted without verification (the account allows it): ${probe.detail}`))
  }
  steps.push(server.protocol === 'imap' ? await loginImap(server, address) : await loginSmtp(server, address, options.hostname))
  return steps
}

/** Tests the IMAP server and, when configured, the submission server of an account's settings. */
export async function testAccount(settings: AccountSettings, password: string, options: ConnectionTestOptions): Promise<ConnectionTestResult> {
  const { imap, smtp } = settings
  const imapSteps = await testServer({ protocol: 'imap', host: imap.host, port: imap.port, security: imap.security, user: imap.user, password, rejectUnauthorized: imap.tls?.rejectUnauthorized ?? true }, options)
  const smtpSteps = smtp === undefined
    ? null
    : await testServer({ protocol: 'smtp', host: smtp.host, port: smtp.port, security: smtp.security, user: smtp.user ?? imap.user, password, rejectUnauthorized: smtp.tls?.rejectUnauthorized ?? imap.tls?.rejectUnauthorized ?? true }, options)
  const allOk = (steps: ConnectionStep[] | null): boolean => steps === null || steps.every((s) => s.ok)
  return { ok: allOk(imapSteps) && allOk(smtpSteps), imap: imapSteps, smtp: smtpSteps }
}
