// Preflight check "smarthost": can we reach the sender's smart host and does it offer STARTTLS (greeting and EHLO only: no AUTH, no mail).
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { SmartHostHop } from '../delivery/smarthost'
import { socketReason } from './net'
import type { RouteCheck } from './types'

const TITLE = 'Smart host'

export interface SmtpGreeting {
  /** Lines of the EHLO answer after the first (the extensions), upper-cased keywords. */
  extensions: string[]
  /** The server's first greeting line. */
  banner: string
}

export interface EhloProbeOptions {
  host: string
  /** The address to connect to (resolved through the configured DNS); default: host. */
  address?: string
  port: number
  /** Implicit TLS from the first byte (port 465). */
  implicitTls: boolean
  rejectUnauthorized: boolean
  hostname: string
  connectTimeoutMs: number
  smtpTimeoutMs: number
}

/** Connects, reads the greeting, says EHLO and QUIT. Rejects with a sentence when any step fails. */
export function ehloProbe(options: EhloProbeOptions): Promise<SmtpGreeting> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    let banner = ''
    let stage: 'connect' | 'greeting' | 'ehlo' | 'done' = 'connect'
    let timer = setTimeout(() => fail(`no connection within ${Math.round(options.connectTimeoutMs / 1000)} s (timeout)`), options.connectTimeoutMs)
    const fail = (reason: string): void => {
      if (stage === 'done') return
      stage = 'done'
      clearTimeout(timer)
      socket.destroy()
      reject(new Error(reason))
    }
    const connected = (): void => {
      clearTimeout(timer)
      stage = 'greeting'
      timer = setTimeout(() => fail(`no SMTP greeting within ${Math.round(options.smtpTimeoutMs / 1000)} s`), options.smtpTimeoutMs)
    }
    const onReply = (lines: string[]): void => {
      const last = lines[lines.length - 1] ?? ''
      const code = last.slice(0, 3)
      if (stage === 'greeting') {
        if (code !== '220') return fail(`the server greeted with "${last}"`)
        banner = lines[0] ?? ''
        stage = 'ehlo'
        socket.write(`EHLO ${options.hostname}\r\n`)
        return
      }
      if (stage === 'ehlo') {
        if (code !== '250') return fail(`the server answered EHLO with "${last}"`)
        stage = 'done'
        clearTimeout(timer)
        socket.end('QUIT\r\n')
        resolve({ banner, extensions: lines.slice(1).map((l) => l.slice(4).trim().toUpperCase()) })
      }
    }
    let pending: string[] = []
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1')
      let newline: number
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '')
        buffer = buffer.slice(newline + 1)
        pending.push(line)
        if (line[3] !== '-') {
          const reply = pending
          pending = []
          onReply(reply)
        }
      }
    }
    // The callbacks above run only after this line, so they may use `socket`.
    const socket: Socket = options.implicitTls
      ? tlsConnect({ host: options.address ?? options.host, port: options.port, servername: options.host, rejectUnauthorized: options.rejectUnauthorized }, connected)
      : netConnect({ host: options.address ?? options.host, port: options.port }, connected)
    socket.on('data', onData)
    socket.on('error', (error: NodeJS.ErrnoException) => fail(socketReason(error.code, error.message)))
    socket.on('close', () => fail('the server closed the connection'))
  })
}

export type EhloProber = (options: EhloProbeOptions) => Promise<SmtpGreeting>

export interface SmartHostCheckOptions {
  hostname: string
  /** Finds the smart host's address through the configured DNS (names only). */
  resolveAddress?: (host: string) => Promise<string>
  connectTimeoutMs: number
  smtpTimeoutMs: number
  probe?: EhloProber
}

/** Checks the first smart host of the route; undefined hop → skipped. */
export async function checkSmartHost(hop: SmartHostHop | undefined, routeName: string, options: SmartHostCheckOptions): Promise<RouteCheck> {
  if (hop === undefined) {
    return { id: 'smarthost', title: TITLE, status: 'skipped', detail: `No smart host is configured for this sender (route "${routeName}" delivers directly).` }
  }
  const label = `${hop.host}:${hop.port}`
  const probe = options.probe ?? ehloProbe
  let greeting: SmtpGreeting
  try {
    const address = options.resolveAddress === undefined || isIP(hop.host) !== 0 ? hop.host : await options.resolveAddress(hop.host)
    greeting = await probe({
      host: hop.host, address, port: hop.port, implicitTls: hop.security === 'tls', rejectUnauthorized: hop.tls?.rejectUnauthorized ?? true,
      hostname: options.hostname, connectTimeoutMs: options.connectTimeoutMs, smtpTimeoutMs: options.smtpTimeoutMs
    })
  } catch (error) {
    return { id: 'smarthost', title: TITLE, status: 'fail', detail: `The smart host ${label} (route "${routeName}") could not be reached: ${(error as Error).message}.` }
  }
  if (hop.security === 'tls') {
    return { id: 'smarthost', title: TITLE, status: 'ok', detail: `The smart host ${label} answers over TLS (implicit TLS), so the login and your mail are encrypted.` }
  }
  const starttls = greeting.extensions.some((e) => e === 'STARTTLS')
  if (hop.security === 'none') {
    return {
      id: 'smarthost', title: TITLE, status: 'warn',
      detail: `The smart host ${label} answers, but the route uses no encryption (security "none")${starttls ? '; it offers STARTTLS, so set "security": "starttls"' : ''}.`
    }
  }
  if (!starttls) {
    return { id: 'smarthost', title: TITLE, status: 'fail', detail: `The smart host ${label} answers but does not offer STARTTLS, so Mailroom will not log in or send through it (it never sends a password unencrypted).` }
  }
  return { id: 'smarthost', title: TITLE, status: 'ok', detail: `The smart host ${label} answers and offers STARTTLS, so the login and your mail will be encrypted.` }
}
