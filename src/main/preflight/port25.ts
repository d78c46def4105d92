// Preflight checks "dns" and "port25": does the sender domain have mail servers, and can this machine open port 25 to one.
import { isIP } from 'node:net'
import type { RouteCheck } from './types'
import type { MailResolver } from '../dns/resolver'
import { planRoute, type AddressOrder } from '../delivery/mx'
import type { Connector } from './net'

/** At most this many addresses are tried before port 25 counts as blocked (a backup MX may be the one that answers). */
export const PORT25_MAX_TARGETS = 3

export const PORT25_BLOCKED =
  'Your network blocks outgoing port 25 (common on home and mobile connections): direct delivery cannot work – use a smart host.'

export interface Port25Options {
  resolver: MailResolver
  connect: Connector
  timeoutMs: number
  allowLoopback: boolean
  addressOrder: AddressOrder
  /** Host to test against when the sender domain has no usable MX. */
  probeHost: string
  /** Port to test; 25 except in unit tests. */
  port?: number
}

export interface Port25Result {
  dns: RouteCheck
  port25: RouteCheck
  /** The address our test connection came from, when one was made. */
  localAddress: string | null
}

interface Target {
  name: string
  address: string
}

async function probeTargets(options: Port25Options): Promise<Target[] | string> {
  const host = options.probeHost
  if (isIP(host) !== 0) return [{ name: host, address: host }]
  try {
    const addresses = await options.resolver.resolveAddresses(host)
    return addresses.slice(0, PORT25_MAX_TARGETS).map((address) => ({ name: host, address }))
  } catch (error) {
    return `the test host ${host} could not be found (${(error as Error).message})`
  }
}

export async function checkPort25(domain: string, options: Port25Options): Promise<Port25Result> {
  const plan = await planRoute(domain, options.resolver, { allowLoopback: options.allowLoopback, random: Math.random, addressOrder: options.addressOrder })
  let dns: RouteCheck
  let targets: Target[] = []
  if (plan.kind === 'hosts' && plan.hosts.length > 0) {
    const names = plan.hosts.map((h) => h.name === domain ? `${h.name} (no MX record: its own address)` : h.name).join(', ')
    dns = { id: 'dns', title: 'Sender domain in DNS', status: 'ok', detail: `${domain} receives mail at ${names}, so replies and bounces can reach you.` }
    targets = plan.hosts.flatMap((h) => h.addresses.map((address) => ({ name: h.name, address }))).slice(0, PORT25_MAX_TARGETS)
  } else if (plan.kind === 'hosts') {
    dns = { id: 'dns', title: 'Sender domain in DNS', status: 'warn', detail: `${domain}'s mail servers have no usable address (${plan.skipped.join('; ')}).` }
  } else if (plan.status === 'failed') {
    dns = { id: 'dns', title: 'Sender domain in DNS', status: 'fail', detail: `${plan.human} Receivers refuse mail from a domain that cannot receive replies.` }
  } else {
    dns = { id: 'dns', title: 'Sender domain in DNS', status: 'warn', detail: `${domain} could not be looked up right now: ${plan.text}.` }
  }

  let via = `${domain}'s mail server`
  if (targets.length === 0) {
    const probe = await probeTargets(options)
    if (typeof probe === 'string') {
      return { dns, localAddress: null, port25: { id: 'port25', title: 'Outgoing port 25', status: 'warn', detail: `Could not test port 25: ${domain} has no mail server to try and ${probe}.` } }
    }
    targets = probe
    via = `the test host ${options.probeHost}`
  }

  const port = options.port ?? 25
  const failures: string[] = []
  for (const target of targets) {
    const result = await options.connect(target.address, port, options.timeoutMs)
    const label = `${target.name}[${target.address}]:${port}`
    if (result.ok) {
      return {
        dns,
        localAddress: result.localAddress === '' ? null : result.localAddress,
        port25: { id: 'port25', title: 'Outgoing port 25', status: 'ok', detail: `Connected to ${via} ${label} from ${result.localAddress} in ${result.ms} ms: port 25 is open.` }
      }
    }
    failures.push(`${label}: ${result.reason}`)
  }
  return { dns, localAddress: null, port25: { id: 'port25', title: 'Outgoing port 25', status: 'fail', detail: `${PORT25_BLOCKED} (Tried ${failures.join('; ')}.)` } }
}
