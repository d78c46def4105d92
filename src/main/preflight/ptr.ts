// Preflight check "ptr": does the address we send from have a reverse DNS name that points back to it (forward-confirmed).
import { isUnroutableAddress } from '../delivery/mx'
import type { MailResolver } from '../dns/resolver'
import type { PreflightDns } from './net'
import type { RouteCheck } from './types'

const TITLE = 'Reverse DNS (PTR)'
export const SPAM_RISK = 'receivers often put mail from addresses without matching reverse DNS in spam'

export interface PtrOptions {
  dns: Pick<PreflightDns, 'reverse'>
  resolver: Pick<MailResolver, 'resolveAddresses'>
  /** Our EHLO name (config hostname), compared with the PTR name. */
  hostname: string
  /** Treat loopback/private addresses as real (test configurations, dns.allowLoopback). */
  allowLoopback: boolean
}

/** True when the address is private, loopback or otherwise not what receivers on the Internet see. */
export function isBehindNat(address: string, allowLoopback: boolean): boolean {
  return !allowLoopback && isUnroutableAddress(address)
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export async function checkPtr(address: string | null, options: PtrOptions): Promise<RouteCheck> {
  if (address === null) {
    return { id: 'ptr', title: TITLE, status: 'skipped', detail: 'No test connection could be made, so the address this computer sends from is unknown.' }
  }
  if (isBehindNat(address, options.allowLoopback)) {
    return {
      id: 'ptr', title: TITLE, status: 'warn',
      detail: `This computer's address ${address} is a private address (behind a router or NAT). Receivers see the router's public address instead, which Mailroom cannot check from here; home connections rarely have matching reverse DNS, and ${SPAM_RISK}.`
    }
  }
  let names: string[]
  try {
    names = await options.dns.reverse(address)
  } catch (error) {
    const code = errorCode(error)
    if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
      return { id: 'ptr', title: TITLE, status: 'warn', detail: `The reverse DNS of ${address} could not be looked up right now (${code ?? (error as Error).message}).` }
    }
    names = []
  }
  if (names.length === 0) {
    return { id: 'ptr', title: TITLE, status: 'warn', detail: `${address} has no reverse DNS name (PTR record): ${SPAM_RISK}.` }
  }
  for (const raw of names) {
    const name = raw.toLowerCase().replace(/\.$/, '')
    const forward = await options.resolver.resolveAddresses(name).catch(() => [] as string[])
    if (!forward.includes(address)) continue
    const hint = name === options.hostname.toLowerCase()
      ? ''
      : ` Mailroom introduces itself as ${options.hostname}; setting "hostname": "${name}" in config.json makes the two match.`
    return { id: 'ptr', title: TITLE, status: 'ok', detail: `${address} is named ${name}, and ${name} points back to ${address}.${hint}` }
  }
  const shown = names.map((n) => n.replace(/\.$/, '')).join(', ')
  return {
    id: 'ptr', title: TITLE, status: 'warn',
    detail: `${address} is named ${shown}, but that name does not point back to ${address}: ${SPAM_RISK}.`
  }
}
