// Direct-delivery routing (RFC 5321 §5.1, RFC 7505): which hosts and addresses to try for a domain, in order, or why none.
//
// Hand-written on purpose: no library does RFC 5321 §5 routing well (implicit MX only on NODATA, null MX,
// NXDOMAIN as a permanent failure, ties shuffled, unroutable answers refused). The SMTP protocol itself is
// nodemailer's (see smtp.ts).
import { BlockList, isIP } from 'node:net'
import { domainToASCII } from 'node:url'
import { DnsLookupError, isNullMxRecord, toDnsLookupError, type MailResolver, type Mx } from '../dns/resolver'
import { classifyDnsError, type Classification } from './classify'

export interface RouteHost {
  /** The MX host name (or the domain itself for an implicit MX, or the literal for user@[1.2.3.4]). */
  name: string
  preference: number
  /** Addresses to try in order: A records, then AAAA. */
  addresses: string[]
}

export interface RouteHosts {
  kind: 'hosts'
  hosts: RouteHost[]
  /** What was left out and why ("mx2.example.com: no address"), for the log. */
  skipped: string[]
}

export interface RouteFailure extends Classification {
  kind: 'failure'
  /** The technical detail, Postfix style ("Name service error for name=… type=MX: Host not found"). */
  text: string
}

export type Route = RouteHosts | RouteFailure

/**
 * Which addresses of an MX host to try, in which order: 'ipv4-first' (the default: A, then AAAA, as the resolver
 * returns them), 'ipv6-first', or one family only (Postfix's inet_protocols / smtp_address_preference).
 */
export type AddressOrder = 'ipv4-first' | 'ipv6-first' | 'ipv4-only' | 'ipv6-only'

/** Orders (or filters) one host's addresses by family; the order within a family is kept. */
export function orderAddresses(addresses: string[], order: AddressOrder): string[] {
  const v4 = addresses.filter((a) => isIP(a) === 4)
  const v6 = addresses.filter((a) => isIP(a) === 6)
  switch (order) {
    case 'ipv4-only': return v4
    case 'ipv6-only': return v6
    case 'ipv6-first': return [...v6, ...v4]
    default: return [...v4, ...v6]
  }
}

export interface PlanOptions {
  /** Let answers point at loopback/private/link-local addresses (test configurations only). */
  allowLoopback: boolean
  /** Uniform in [0, 1); shuffles MX hosts of equal preference. */
  random: () => number
  /** Default 'ipv4-first'. */
  addressOrder?: AddressOrder
}

/** Addresses no public MX can have: loopback, private, link-local, unspecified, CGNAT, multicast, reserved. */
const UNROUTABLE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) UNROUTABLE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]
] as const) UNROUTABLE.addSubnet(net, prefix, 'ipv6')

/** True for an address a public MX must not point to. IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as IPv4. */
export function isUnroutableAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return UNROUTABLE.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1] !== undefined) return UNROUTABLE.check(mapped[1], 'ipv4')
  return UNROUTABLE.check(address, 'ipv6')
}

function failure(status: 'deferred' | 'failed', enhanced: string, human: string, text: string, unreachable = false): RouteFailure {
  return { kind: 'failure', status, enhanced, human, text, unreachable }
}

/** Sort by preference; hosts of equal preference in random order (RFC 5321 §5.1). Duplicate names keep their best preference. */
export function orderMx(records: Mx[], random: () => number): Mx[] {
  const best = new Map<string, number>()
  for (const r of records) best.set(r.exchange, Math.min(best.get(r.exchange) ?? Infinity, r.priority))
  const groups = new Map<number, string[]>()
  for (const [name, priority] of best) groups.set(priority, [...(groups.get(priority) ?? []), name])
  const ordered: Mx[] = []
  for (const priority of [...groups.keys()].sort((a, b) => a - b)) {
    const names = groups.get(priority) ?? []
    for (let i = names.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(random() * (i + 1)))
      ;[names[i], names[j]] = [names[j] as string, names[i] as string]
    }
    for (const exchange of names) ordered.push({ exchange, priority })
  }
  return ordered
}

/** user@[192.0.2.1] or user@[IPv6:2001:db8::1]: the address itself, no DNS. */
function literalRoute(domain: string, options: PlanOptions): Route {
  const inner = domain.slice(1, -1).replace(/^IPv6:/i, '')
  if (isIP(inner) === 0) return failure('failed', '5.1.2', `The address literal ${domain} is not valid.`, `invalid address literal ${domain}`)
  if (!options.allowLoopback && isUnroutableAddress(inner)) {
    return failure('failed', '5.4.4', `The address ${domain} is a private or loopback address.`, `address literal ${domain} is not routable`)
  }
  return { kind: 'hosts', hosts: [{ name: domain, preference: 0, addresses: [inner] }], skipped: [] }
}

/**
 * Plans direct delivery to a domain. Never throws: every DNS outcome becomes hosts to try or a classified failure.
 * NXDOMAIN → failed 5.1.2; null MX → failed 5.1.10 (no connection); no MX (NODATA) → the domain's own A/AAAA;
 * DNS trouble → deferred 4.4.3; MX hosts without addresses are skipped; unroutable addresses refused (5.4.4).
 */
export async function planRoute(domain: string, resolver: MailResolver, options: PlanOptions): Promise<Route> {
  if (domain === '') return failure('failed', '5.1.3', 'The address has no domain.', 'empty domain')
  if (domain.startsWith('[') && domain.endsWith(']')) return literalRoute(domain, options)
  const ascii = domainToASCII(domain.replace(/\.$/, '')) // IDN → punycode for the queries
  if (ascii === '') return failure('failed', '5.1.2', `The domain ${domain} is not a valid domain name.`, `invalid domain name ${domain}`)
  const context = { domain, phase: 'connect' as const }

  let records: Mx[]
  let implicit = false
  try {
    records = await resolver.resolveMx(ascii)
  } catch (error) {
    const dns = toDnsLookupError(error, ascii, 'MX')
    if (dns.kind === 'nxdomain') return failure('failed', '5.1.2', `The domain ${domain} does not exist.`, dns.message)
    if (dns.kind === 'temporary') return { kind: 'failure', text: dns.message, ...classifyDnsError(dns, { ...context, domain: ascii }) }
    records = []
  }
  if (records.length === 0) {
    // Only NODATA (the name exists, no MX) leads here: RFC 5321 §5.1 implicit MX, the domain itself.
    implicit = true
    records = [{ exchange: ascii, priority: 0 }]
  }
  const real = records.filter((r) => !isNullMxRecord(r))
  if (real.length === 0) {
    return failure('failed', '5.1.10', `${domain} does not accept mail (null MX).`, `Domain ${ascii} does not accept mail (nullMX)`)
  }

  const ordered = orderMx(real, options.random)
  const lookups = await Promise.all(ordered.map(async (mx) => {
    try {
      return { mx, addresses: await resolver.resolveAddresses(mx.exchange) }
    } catch (error) {
      return { mx, error: toDnsLookupError(error, mx.exchange, 'A/AAAA') }
    }
  }))

  const hosts: RouteHost[] = []
  const skipped: string[] = []
  const seen = new Set<string>()
  const refused: string[] = []
  const errors: DnsLookupError[] = []
  for (const lookup of lookups) {
    if (lookup.error !== undefined) {
      errors.push(lookup.error)
      skipped.push(`${lookup.mx.exchange}: ${lookup.error.message}`)
      continue
    }
    const usable: string[] = []
    for (const address of orderAddresses(lookup.addresses, options.addressOrder ?? 'ipv4-first')) {
      if (seen.has(address)) continue // the same address under two MX names: one try is enough
      seen.add(address)
      if (!options.allowLoopback && isUnroutableAddress(address)) {
        refused.push(address)
        skipped.push(`${lookup.mx.exchange}[${address}]: private or loopback address refused`)
      } else {
        usable.push(address)
      }
    }
    if (usable.length > 0) hosts.push({ name: lookup.mx.exchange, preference: lookup.mx.priority, addresses: usable })
  }
  if (hosts.length > 0) return { kind: 'hosts', hosts, skipped }

  const temporary = errors.find((e) => e.kind === 'temporary')
  if (temporary !== undefined) {
    const c = classifyDnsError(temporary, context)
    return failure('deferred', '4.4.3', c.human, temporary.message, errors.every((e) => e.noServer))
  }
  if (refused.length > 0) {
    return failure('failed', '5.4.4', `MX for ${domain} points to a private or loopback address (${refused.join(', ')}).`,
      `MX for ${ascii} points to unroutable address ${refused.join(', ')}`)
  }
  if (implicit) {
    // The domain exists but has no MX and no address: nowhere to deliver (RFC 5321 §5.1 "MUST be reported as an error").
    const detail = new DnsLookupError('nodata', ascii, 'A/AAAA', 'ENODATA').message
    return failure('failed', '5.4.4', `The domain ${domain} has no mail server (no MX, A or AAAA record).`, detail)
  }
  // Every named MX host is missing from DNS: a broken zone, which its owner may fix; keep it temporary but say so.
  const names = ordered.map((mx) => mx.exchange).join(', ')
  const allMissing = errors.every((e) => e.kind === 'nxdomain')
  return failure('deferred', '4.4.3',
    allMissing
      ? `None of the mail servers named for ${domain} (${names}) exist in DNS; this may be a temporary mistake in the domain's setup.`
      : `None of the mail servers named for ${domain} (${names}) has an address in DNS; this may be temporary.`,
    errors.map((e) => e.message).join('; '))
}
