// A table-driven MailResolver for routing and delivery tests: no real DNS.
import { DnsLookupError, type MailResolver, type Mx } from '../../../src/main/dns/resolver'

/** A resolver answering from tables: a DnsLookupError kind stands for that failure. */
export function fakeResolver(
  mx: Record<string, Mx[] | DnsLookupError['kind']>,
  addresses: Record<string, string[] | DnsLookupError['kind']>
): MailResolver & { queries: string[] } {
  const queries: string[] = []
  return {
    queries,
    async resolveMx(domain) {
      queries.push(`MX ${domain}`)
      const answer = mx[domain] ?? 'nxdomain'
      if (typeof answer === 'string') throw new DnsLookupError(answer, domain, 'MX', answer === 'nxdomain' ? 'ENOTFOUND' : answer === 'nodata' ? 'ENODATA' : 'ESERVFAIL')
      return answer
    },
    async resolveAddresses(host) {
      queries.push(`A/AAAA ${host}`)
      const answer = addresses[host] ?? 'nxdomain'
      if (typeof answer === 'string') throw new DnsLookupError(answer, host, 'A/AAAA', answer === 'nxdomain' ? 'ENOTFOUND' : answer === 'nodata' ? 'ENODATA' : 'ESERVFAIL')
      return answer
    }
  }
}
