// The account → MSP link: mail from an account's identities goes to the account's submission server as a smart host,
// logging in with the account's password (the secret store), unless config.json's identities[] name a route for it.
import type { AccountConfig, Config } from '../config/schema'
import type { SmartHostHop } from '../delivery/smarthost'
import type { SelectedRoute } from '../delivery/routes'
import { identityFor } from './identities'

/** Stable hop objects (the router keys its smart-host deliverers by hop): one per account settings object. */
const hops = new WeakMap<AccountConfig, SmartHostHop>()

export const ACCOUNT_ROUTE_PREFIX = 'account:'

/** The smart-host hop of an account's submission server, or null without `smtp` settings. */
export function accountHop(account: AccountConfig): SmartHostHop | null {
  const smtp = account.smtp
  if (smtp === undefined) return null
  let hop = hops.get(account)
  if (hop === undefined) {
    const rejectUnauthorized = smtp.tls?.rejectUnauthorized ?? account.imap.tls?.rejectUnauthorized
    hop = {
      type: 'smarthost',
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      auth: { user: smtp.user ?? account.imap.user, method: 'PLAIN', accountId: account.id, ...(smtp.password !== undefined ? { password: smtp.password } : {}) },
      ...(rejectUnauthorized !== undefined ? { tls: { rejectUnauthorized } } : {})
    }
    hops.set(account, hop)
  }
  return hop
}

/**
 * The route for an envelope sender that is an account's address or identity and whose account has a submission
 * server; null otherwise (then routes.ts's selectRoute decides). A top-level identities[] entry for the same address
 * wins: the user chose its route by hand.
 */
export function accountRouteFor(config: Pick<Config, 'accounts' | 'identities'>, sender: string): SelectedRoute | null {
  const wanted = sender.trim().toLowerCase()
  if (wanted === '') return null
  if (config.identities.some((i) => i.email.toLowerCase() === wanted)) return null
  const identity = identityFor(config, wanted)
  if (identity === null) return null
  const hop = accountHop(identity.account)
  if (hop === null) return null
  return { name: `${ACCOUNT_ROUTE_PREFIX}${identity.account.id}`, hops: [hop], identity: identity.email }
}

/** The account whose Sent mailbox gets a copy of mail from `sender`, by its identities too (see sent/match.ts). */
export function accountIdForSender(config: Pick<Config, 'accounts'>, sender: string): string | null {
  return identityFor(config, sender)?.account.id ?? null
}
