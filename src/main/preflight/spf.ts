// Preflight check "spf": does the sender domain's SPF record allow our address to send its mail (evaluated by mailauth).
import { spf } from 'mailauth/lib/spf/index.js'
import type { PreflightDns } from './net'
import { isBehindNat } from './ptr'
import type { RouteCheck } from './types'

const TITLE = 'SPF of the sender domain'

export interface SpfOptions {
  dns: Pick<PreflightDns, 'resolve'>
  hostname: string
  allowLoopback: boolean
}

export async function checkSpf(sender: string, address: string | null, options: SpfOptions): Promise<RouteCheck> {
  const domain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase()
  if (address === null) {
    return { id: 'spf', title: TITLE, status: 'skipped', detail: 'No test connection could be made, so the address to check against SPF is unknown.' }
  }
  if (isBehindNat(address, options.allowLoopback)) {
    return { id: 'spf', title: TITLE, status: 'skipped', detail: `Your public address is unknown (this computer has the private address ${address}), so ${domain}'s SPF record cannot be checked for it.` }
  }
  let result: Awaited<ReturnType<typeof spf>>
  try {
    result = await spf({
      sender, ip: address, helo: options.hostname, mta: options.hostname,
      // mailauth calls resolver(name, type) like dns.promises.resolve; ours asks the configured servers.
      resolver: (name: string, rrtype: string) => options.dns.resolve(name, rrtype) as Promise<string[]>
    })
  } catch (error) {
    return { id: 'spf', title: TITLE, status: 'warn', detail: `${domain}'s SPF record could not be checked (${(error as Error).message}).` }
  }
  const verdict = result.status.result
  const record = typeof result.rr === 'string' ? ` (record: "${result.rr}")` : ''
  const denied = `${domain}'s SPF record does not allow ${address} to send its mail${record}`
  switch (verdict) {
    case 'pass':
      return { id: 'spf', title: TITLE, status: 'ok', detail: `${domain}'s SPF record allows ${address} to send its mail${record}.` }
    case 'fail':
      return { id: 'spf', title: TITLE, status: 'fail', detail: `${denied}: receivers will refuse it or put it in spam.` }
    case 'softfail':
      return { id: 'spf', title: TITLE, status: 'warn', detail: `${denied} (soft fail): receivers will likely put it in spam.` }
    case 'neutral':
      return { id: 'spf', title: TITLE, status: 'warn', detail: `${domain}'s SPF record neither allows nor forbids ${address}${record}: receivers treat such mail with suspicion.` }
    case 'none':
      return { id: 'spf', title: TITLE, status: 'warn', detail: `${domain} has no SPF record, so receivers cannot tell whether ${address} may send its mail and often treat it as suspicious.` }
    case 'permerror':
      return { id: 'spf', title: TITLE, status: 'warn', detail: `${domain}'s SPF record is broken, receivers cannot use it (${result.status.comment ?? 'permanent error'}).` }
    default:
      return { id: 'spf', title: TITLE, status: 'warn', detail: `${domain}'s SPF record could not be checked right now (${result.status.comment ?? 'DNS error'}).` }
  }
}
