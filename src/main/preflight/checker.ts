// The preflight (issue 5 item 8): createRouteChecker runs the checks for one sender and returns the RouteCheckReport.
//
// Real checks, in order: the sender domain's MX in DNS, a test connection to port 25 of one of them (the address it
// came from is what receivers see, unless behind NAT), that address's forward-confirmed reverse DNS, the sender
// domain's SPF for it (mailauth), and the route's smart host (greeting + EHLO only). Nothing is sent, no login is tried.
import type { RouteCheckReport } from '../../shared/contract'
import type { Config } from '../config/schema'
import { DNS_QUERY_TIMEOUT_MS, DNS_TRIES, PREFLIGHT_CONNECT_TIMEOUT_MS, PREFLIGHT_SMTP_TIMEOUT_MS } from '../config/timeouts'
import { selectRoute } from '../delivery/routes'
import type { SmartHostHop } from '../delivery/smarthost'
import type { MailResolver } from '../dns/resolver'
import type { Logger } from '../log/logger'
import { recommend } from './advice'
import { createPreflightDns, tcpConnector, type Connector, type PreflightDns } from './net'
import { checkPort25 } from './port25'
import { checkPtr } from './ptr'
import { checkSmartHost, type EhloProber } from './smarthost'
import { checkSpf } from './spf'

/** Tested against when the sender domain has no usable MX: a large public MX that always listens on port 25. */
export const DEFAULT_PORT25_PROBE_HOST = 'gmail-smtp-in.l.google.com'

export interface RouteCheckerOptions {
  config: Pick<Config, 'hostname' | 'dns' | 'routes' | 'identities'>
  resolver: MailResolver
  log: Logger
  connectTimeoutMs?: number
  /** Host for the port 25 test when the sender domain has no usable MX (default DEFAULT_PORT25_PROBE_HOST). */
  probeHost?: string
  /** Injected in unit tests; default: node:dns with config.dns.servers, real TCP, real SMTP. */
  dns?: PreflightDns
  connect?: Connector
  ehloProbe?: EhloProber
  /** Port of the direct-delivery test; 25 except in unit tests. */
  smtpPort?: number
}

export type RouteChecker = (sender: string) => Promise<RouteCheckReport>

export function createRouteChecker(options: RouteCheckerOptions): RouteChecker {
  const { config, resolver, log } = options
  const dns = options.dns ?? createPreflightDns({ servers: config.dns.servers, timeoutMs: DNS_QUERY_TIMEOUT_MS, tries: DNS_TRIES })
  const connectTimeoutMs = options.connectTimeoutMs ?? PREFLIGHT_CONNECT_TIMEOUT_MS
  const allowLoopback = config.dns.allowLoopback

  return async (sender) => {
    const domain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase()
    const reachability = await checkPort25(domain, {
      resolver, allowLoopback, addressOrder: config.dns.addressOrder, timeoutMs: connectTimeoutMs,
      connect: options.connect ?? tcpConnector, probeHost: options.probeHost ?? DEFAULT_PORT25_PROBE_HOST,
      ...(options.smtpPort !== undefined ? { port: options.smtpPort } : {})
    })
    const { localAddress } = reachability
    const route = selectRoute(config, sender)
    const hop = route?.hops.find((h): h is SmartHostHop => h.type === 'smarthost')
    const [ptr, spf, smarthost] = await Promise.all([
      checkPtr(localAddress, { dns, resolver, hostname: config.hostname, allowLoopback }),
      checkSpf(sender, localAddress, { dns, hostname: config.hostname, allowLoopback }),
      checkSmartHost(hop, route?.name ?? 'default', {
        hostname: config.hostname, connectTimeoutMs, smtpTimeoutMs: PREFLIGHT_SMTP_TIMEOUT_MS,
        resolveAddress: async (host) => (await resolver.resolveAddresses(host))[0] ?? host,
        ...(options.ehloProbe !== undefined ? { probe: options.ehloProbe } : {})
      })
    ])
    const checks = [reachability.port25, reachability.dns, ptr, spf, smarthost]
    const verdict = recommend(checks)
    log.info('preflight', `route check for ${sender}: ${checks.map((c) => `${c.id}=${c.status}`).join(', ')}; recommendation=${verdict.recommendation}`)
    return { sender, localAddress, checks, ...verdict }
  }
}
