// Port helpers for the test harness: pick free ports, wait until a daemon listens, wait until it let go.
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { connect, createServer, isIPv4 } from 'node:net'
import { pollUntil } from './proc'

export type Protocol = 'tcp' | 'udp'

/** Extra text for a timeout error, e.g. the tail of a daemon's log. */
export type Detail = () => string | Promise<string>

/** A TCP port nobody listens on at host right now (the kernel's pick). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host)
  return port as number
}

/** `count` distinct free TCP ports: all are held open until every one is picked. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host, port: 0, exclusive: true }, resolve)
      })
    }
    return servers.map((s) => {
      const address = s.address()
      if (address === null || typeof address === 'string') throw new Error('listen gave no port')
      return address.port
    })
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }
}

/** A port that is free for both TCP and UDP at host (what a DNS server needs). */
export async function freeTcpUdpPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host)
    if (await udpBindable(host, port)) return port
  }
  throw new Error(`found no port on ${host} free for both TCP and UDP`)
}

function udpBindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv4(host) ? 'udp4' : 'udp6')
    socket.once('error', () => { socket.close(); resolve(false) })
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)))
  })
}

function tcpBindable(host: string, port: number): Promise<boolean | 'unknown'> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? false : 'unknown'))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** True when a TCP connection to host:port is accepted. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Kernel socket table entry "0200007F:0019" for 127.0.0.2:25 (IPv4 only). */
function procAddress(host: string, port: number): string {
  const hexHost = host.split('.').map((n) => Number(n).toString(16).padStart(2, '0').toUpperCase()).reverse().join('')
  return `${hexHost}:${port.toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * Whether a socket is listening (TCP) or bound (UDP) on host:port, from /proc/net without touching
 * the daemon (a connect probe would show up in Postfix's log). Undefined when /proc is unavailable.
 */
function procListening(host: string, port: number, proto: Protocol): boolean | undefined {
  if (!isIPv4(host)) return undefined
  let table: string
  try {
    table = readFileSync(`/proc/net/${proto}`, 'utf8')
  } catch {
    return undefined
  }
  let table6 = ''
  try {
    table6 = readFileSync(`/proc/net/${proto}6`, 'utf8')
  } catch {
    // no IPv6
  }
  // The address itself, 0.0.0.0, or a dual-stack [::] listener.
  const wanted = new Set([procAddress(host, port), procAddress('0.0.0.0', port), `${'0'.repeat(32)}:${procAddress('0.0.0.0', port).split(':')[1]}`])
  const listenState = proto === 'tcp' ? '0A' : '07'
  return `${table}\n${table6}`.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/)
    return fields[1] !== undefined && wanted.has(fields[1]) && fields[3] === listenState
  })
}

/** True when something listens on host:port (TCP) or has it bound (UDP). */
export async function isListening(host: string, port: number, proto: Protocol = 'tcp'): Promise<boolean> {
  const fromProc = procListening(host, port, proto)
  if (fromProc !== undefined) return fromProc
  if (proto === 'udp') return !(await udpBindable(host, port))
  return canConnect(host, port)
}

/** True when a new listener could bind host:port now. */
export async function isPortFree(host: string, port: number, proto: Protocol = 'tcp'): Promise<boolean> {
  if (proto === 'udp') return udpBindable(host, port)
  const bindable = await tcpBindable(host, port)
  // EACCES (not root, port < 1024) or EADDRNOTAVAIL: judge by listening state instead.
  return bindable === 'unknown' ? !(await isListening(host, port, proto)) : bindable
}

/** Wait until host:port listens; the error names the address and appends detail() (e.g. a log tail). */
export async function waitForPort(host: string, port: number, timeoutMs = 10_000, opts: { proto?: Protocol; detail?: Detail } = {}): Promise<void> {
  const proto = opts.proto ?? 'tcp'
  await pollUntil(() => isListening(host, port, proto), timeoutMs, async () =>
    `nothing listens on ${host}:${port}/${proto} after ${timeoutMs} ms${await detailText(opts.detail)}`, 25)
}

/** Wait until host:port can be bound again (its daemon has let go). */
export async function waitForPortFree(host: string, port: number, timeoutMs = 10_000, opts: { proto?: Protocol; detail?: Detail } = {}): Promise<void> {
  const proto = opts.proto ?? 'tcp'
  await pollUntil(() => isPortFree(host, port, proto), timeoutMs, async () =>
    `${host}:${port}/${proto} is still in use after ${timeoutMs} ms${await detailText(opts.detail)}`, 25)
}

async function detailText(detail: Detail | undefined): Promise<string> {
  if (!detail) return ''
  const text = (await detail()).trim()
  return text ? `\n${text}` : ''
}
