// Finds an address's mail servers: DNS SRV records (RFC 6186, RFC 8314) in RFC 2782 order, else common host names
// that exist in DNS, offered only as guesses the user confirms. "." as target means the domain does not offer it.
import { domainOf } from '../../shared/address'
import type { DiscoveryResult, ServerCandidate } from '../../shared/contract'
import { DnsLookupError, type MailResolver, type Srv } from '../dns/resolver'

interface Service {
  record: string
  kind: 'imap' | 'smtp'
  security: 'tls' | 'starttls'
}

/** Implicit TLS first: at equal priority RFC 8314 §5.1 prefers it. */
export const SRV_SERVICES: readonly Service[] = [
  { record: '_imaps._tcp', kind: 'imap', security: 'tls' },
  { record: '_imap._tcp', kind: 'imap', security: 'starttls' },
  { record: '_submissions._tcp', kind: 'smtp', security: 'tls' },
  { record: '_submission._tcp', kind: 'smtp', security: 'starttls' }
]

interface Found extends Srv {
  service: Service
}

/**
 * RFC 2782 order: lowest priority first; within a priority, a weighted random pick (weight 0 records first in the
 * running sum, so they rarely go first). At equal priority, implicit-TLS services come before STARTTLS ones.
 */
export function orderSrv<T extends Srv & { service?: { security: string } }>(records: readonly T[], random: () => number = Math.random): T[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b)
  const out: T[] = []
  for (const priority of priorities) {
    const same = records.filter((r) => r.priority === priority)
    const groups = [same.filter((r) => r.service?.security !== 'starttls'), same.filter((r) => r.service?.security === 'starttls')]
    for (const group of groups) {
      // Zero weights first, as RFC 2782 says, then repeated weighted picks.
      const left = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)]
      while (left.length > 0) {
        const total = left.reduce((sum, r) => sum + r.weight, 0)
        const target = total === 0 ? 0 : random() * total
        let running = 0
        let index = left.findIndex((r) => {
          running += r.weight
          return running > target
        })
        if (index < 0) index = 0
        out.push(left.splice(index, 1)[0] as T)
      }
    }
  }
  return out
}

export interface DiscoveryOptions {
  resolver: MailResolver
  random?: () => number
}

function candidate(found: Found, domain: string): ServerCandidate {
  return { host: found.name, port: found.port, security: found.service.security, source: 'srv', record: `${found.service.record}.${domain}` }
}

/** Common names tried when the domain publishes no SRV records, kept only when they exist in DNS. */
function guesses(domain: string): Array<Omit<ServerCandidate, 'source'> & { kind: 'imap' | 'smtp' }> {
  return [
    { kind: 'imap', host: `imap.${domain}`, port: 993, security: 'tls' },
    { kind: 'imap', host: `mail.${domain}`, port: 993, security: 'tls' },
    { kind: 'smtp', host: `smtp.${domain}`, port: 465, security: 'tls' },
    { kind: 'smtp', host: `smtp.${domain}`, port: 587, security: 'starttls' },
    { kind: 'smtp', host: `mail.${domain}`, port: 465, security: 'tls' },
    { kind: 'smtp', host: `mail.${domain}`, port: 587, security: 'starttls' }
  ]
}

export async function discoverServers(email: string, options: DiscoveryOptions): Promise<DiscoveryResult> {
  const domain = domainOf(email).toLowerCase()
  const { resolver } = options
  const notes: string[] = []
  const found: Found[] = []
  if (resolver.resolveSrv !== undefined) {
    const resolveSrv = resolver.resolveSrv.bind(resolver)
    const answers = await Promise.all(SRV_SERVICES.map(async (service) => {
      const name = `${service.record}.${domain}`
      try {
        return { service, name, records: await resolveSrv(name) }
      } catch (error) {
        if (error instanceof DnsLookupError && error.kind !== 'temporary') return { service, name, records: [] }
        notes.push(`${name} could not be looked up: ${(error as Error).message}`)
        return { service, name, records: [] }
      }
    }))
    for (const { service, name, records } of answers) {
      // RFC 2782: a single record with target "." says the service is decidedly not available at this domain.
      if (records.some((r) => r.name === '' || r.name === '.')) {
        notes.push(`${domain} says it does not offer ${name.split('.')[0]?.slice(1)} (${name} points to ".")`)
      }
      for (const r of records) if (r.name !== '' && r.name !== '.' && r.port > 0) found.push({ ...r, service })
    }
  }
  const random = options.random ?? Math.random
  const imap = orderSrv(found.filter((f) => f.service.kind === 'imap'), random).map((f) => candidate(f, domain))
  const smtp = orderSrv(found.filter((f) => f.service.kind === 'smtp'), random).map((f) => candidate(f, domain))
  if (imap.length > 0 || smtp.length > 0) return { domain, imap, smtp, source: 'srv', notes }

  // No SRV records: guesses, only names that resolve, for the user to confirm.
  const exists = new Map<string, Promise<boolean>>()
  const resolves = (host: string): Promise<boolean> => {
    let check = exists.get(host)
    if (check === undefined) {
      check = resolver.resolveAddresses(host).then((a) => a.length > 0, () => false)
      exists.set(host, check)
    }
    return check
  }
  const guessed = guesses(domain)
  const kept = (await Promise.all(guessed.map(async (g) => ((await resolves(g.host)) ? g : null)))).filter((g) => g !== null)
  const toCandidate = ({ kind: _kind, ...g }: (typeof guessed)[number]): ServerCandidate => ({ ...g, source: 'guess' })
  const guessImap = kept.filter((g) => g.kind === 'imap').map(toCandidate)
  const guessSmtp = kept.filter((g) => g.kind === 'smtp').map(toCandidate)
  if (guessImap.length > 0 || guessSmtp.length > 0) {
    notes.push(`${domain} publishes no SRV records for mail; these are common server names that exist in DNS. Check them with your provider before you save.`)
    return { domain, imap: guessImap, smtp: guessSmtp, source: 'guess', notes }
  }
  notes.push(`No mail servers could be found for ${domain}: enter the server names your provider gives you.`)
  return { domain, imap: [], smtp: [], source: 'none', notes }
}
