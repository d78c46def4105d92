// Preflight network access: a test TCP connection (which local address it came from) and the DNS questions the checks ask.
import { connect as netConnect, isIP } from 'node:net'
import { Resolver } from 'node:dns/promises'

export type TcpProbeResult =
  | { ok: true; localAddress: string; ms: number }
  | { ok: false; reason: string; code?: string }

/** Opens a TCP connection and closes it at once; never throws. Injected in unit tests. */
export type Connector = (host: string, port: number, timeoutMs: number) => Promise<TcpProbeResult>

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'no answer (timeout)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset'
}

/** Words for a socket error code ("connection refused"), or the code itself. */
export function socketReason(code: string | undefined, fallback: string): string {
  return (code !== undefined ? REASONS[code] : undefined) ?? code ?? fallback
}

export const tcpConnector: Connector = (host, port, timeoutMs) => new Promise((resolve) => {
  const started = Date.now()
  const socket = netConnect({ host, port })
  let settled = false
  const finish = (result: TcpProbeResult): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    socket.destroy()
    resolve(result)
  }
  const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${Math.round(timeoutMs / 1000)} s (timeout)`, code: 'ETIMEDOUT' }), timeoutMs)
  socket.once('connect', () => finish({ ok: true, localAddress: socket.localAddress ?? '', ms: Date.now() - started }))
  socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: socketReason(error.code, error.message), ...(error.code !== undefined ? { code: error.code } : {}) }))
})

/** The DNS the preflight needs besides MX routing; all of it goes to the configured servers. */
export interface PreflightDns {
  /** PTR names of an address (node's dns.reverse); rejects with a node:dns error code. */
  reverse(address: string): Promise<string[]>
  /** A generic lookup in dns.promises.resolve's shape, as mailauth's SPF evaluation asks it. */
  resolve(name: string, rrtype: string): Promise<unknown>
}

/** The PTR query name of an address: 1.0.0.127.in-addr.arpa, or the nibbles under ip6.arpa. */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`
  const halves = address.split('::')
  const groups = (part: string | undefined): string[] => part === undefined || part === '' ? [] : part.split(':')
  const head = groups(halves[0])
  const tail = groups(halves[1])
  const full = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
  const nibbles = full.map((g) => g.padStart(4, '0')).join('')
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`
}

export function createPreflightDns(options: { servers: string[]; timeoutMs: number; tries: number }): PreflightDns {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries })
  if (options.servers.length > 0) resolver.setServers(options.servers)
  return {
    // Not resolver.reverse: c-ares answers that from /etc/hosts first; receivers only ever see the DNS.
    reverse: (address) => resolver.resolvePtr(reverseName(address)),
    resolve: (name, rrtype) => resolver.resolve(name, rrtype)
  }
}
