// DNS for mail routing: an injectable resolver (MX, then A and AAAA) whose failures are typed as nxdomain, nodata or temporary.
import { Resolver } from 'node:dns/promises'

/** One MX record as the resolver returns it; a null MX (RFC 7505) shows up with exchange '' or '.'. */
export interface Mx {
  exchange: string
  priority: number
}

export interface MailResolver {
  /** The MX records of a domain, in the order DNS gave them (routing sorts them). */
  resolveMx(domain: string): Promise<Mx[]>
  /** The addresses of a host: its A records first, then its AAAA records. */
  resolveAddresses(host: string): Promise<string[]>
  /** SRV records (RFC 2782) as DNS gave them; a target of "." (service not offered) has name ''. Optional: fakes may omit it. */
  resolveSrv?(name: string): Promise<Srv[]>
}

/** One SRV record (RFC 2782). */
export interface Srv {
  name: string
  port: number
  priority: number
  weight: number
}

/**
 * nxdomain: the name does not exist (permanent). nodata: the name exists without records of the type.
 * temporary: no usable answer (SERVFAIL, timeout, refused, no server reachable); asking later may work.
 */
export type DnsFailureKind = 'nxdomain' | 'nodata' | 'temporary'

/** Node codes that mean "we could not talk to a name server at all", as opposed to a server answering badly. */
const NO_SERVER_CODES = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET'])

const DESCRIPTIONS: Record<string, string> = {
  ENOTFOUND: 'Host not found',
  ENODATA: 'No data record of the requested type',
  ESERVFAIL: 'Server failure (SERVFAIL)',
  ETIMEOUT: 'No answer from the name servers (timeout)',
  ECONNREFUSED: 'The name server refused the connection',
  EREFUSED: 'The name server refused the query (REFUSED)'
}

export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError'
  constructor(
    readonly kind: DnsFailureKind,
    /** The name that was looked up. */
    readonly hostname: string,
    readonly rrtype: 'MX' | 'A' | 'AAAA' | 'A/AAAA' | 'SRV',
    /** Node's error code (ENOTFOUND, ESERVFAIL, ETIMEOUT, …), when there was one. */
    readonly code?: string
  ) {
    const reason = (code !== undefined ? DESCRIPTIONS[code] : undefined) ?? (code ?? kind)
    super(`Name service error for name=${hostname} type=${rrtype}: ${reason}`)
  }

  /** True when no name server could be reached at all (timeout, refused): a hint that we are offline. */
  get noServer(): boolean {
    return this.code !== undefined && NO_SERVER_CODES.has(this.code)
  }
}

/** Maps an error thrown by node:dns to a DnsLookupError. */
export function toDnsLookupError(error: unknown, hostname: string, rrtype: DnsLookupError['rrtype']): DnsLookupError {
  if (error instanceof DnsLookupError) return error
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined
  const kind: DnsFailureKind = code === 'ENOTFOUND' ? 'nxdomain' : code === 'ENODATA' ? 'nodata' : 'temporary'
  return new DnsLookupError(kind, hostname, rrtype, code)
}

/**
 * True for the null MX of RFC 7505 (exchange "." with preference 0). Node returns the root name as ''
 * (dnsmasq and real servers alike); a fake resolver may say '.'. Both count, whatever the preference:
 * the root is never a host one could connect to.
 */
export function isNullMxRecord(record: Mx): boolean {
  return record.exchange === '' || record.exchange === '.'
}

export interface ResolverOptions {
  /** Name servers as "1.2.3.4", "127.0.0.1:5353", "[::1]:5353"; empty means the system's. */
  servers: string[]
  /** Time for one query to one server (ms). */
  timeoutMs: number
  /** Tries per server before giving up. */
  tries: number
}

function normaliseHost(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

export function createResolver(options: ResolverOptions): MailResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries })
  if (options.servers.length > 0) resolver.setServers(options.servers)

  return {
    async resolveMx(domain) {
      try {
        const records = await resolver.resolveMx(domain)
        // The null MX keeps its '' so routing can recognise it; other names lose case and a trailing dot.
        return records.map((r) => ({ exchange: isNullMxRecord(r) ? r.exchange : normaliseHost(r.exchange), priority: r.priority }))
      } catch (error) {
        throw toDnsLookupError(error, domain, 'MX')
      }
    },

    async resolveSrv(name) {
      try {
        const records = await resolver.resolveSrv(name)
        return records.map((r) => ({ name: r.name === '.' ? '' : normaliseHost(r.name), port: r.port, priority: r.priority, weight: r.weight }))
      } catch (error) {
        throw toDnsLookupError(error, name, 'SRV')
      }
    },

    async resolveAddresses(host) {
      // Both queries at once: the total wait is one lookup, not two.
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)])
      const addresses = [
        ...(v4.status === 'fulfilled' ? v4.value : []),
        ...(v6.status === 'fulfilled' ? v6.value : [])
      ]
      if (addresses.length > 0) return addresses // e.g. A answered and AAAA had no data: fine.
      const errors = [v4, v6].flatMap((r, i) => (r.status === 'rejected' ? [toDnsLookupError(r.reason, host, i === 0 ? 'A' : 'AAAA')] : []))
      // The most hopeful explanation wins: a temporary failure may still turn into addresses later.
      const temporary = errors.find((e) => e.kind === 'temporary')
      if (temporary !== undefined) throw temporary
      if (errors.some((e) => e.kind === 'nxdomain')) throw new DnsLookupError('nxdomain', host, 'A/AAAA', 'ENOTFOUND')
      throw new DnsLookupError('nodata', host, 'A/AAAA', 'ENODATA')
    }
  }
}
