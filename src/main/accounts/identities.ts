// Which account an address belongs to, and the display name for From: the account's identities, then the account itself.
import type { AccountConfig, Config } from '../config/schema'

export interface SenderIdentity {
  account: AccountConfig
  email: string
  name?: string
}

/** The account (and its identity) for a From address, case-insensitive; null when no account has it. */
export function identityFor(config: Pick<Config, 'accounts'>, from: string): SenderIdentity | null {
  const wanted = from.trim().toLowerCase()
  for (const account of config.accounts) {
    const identity = account.identities?.find((i) => i.email.toLowerCase() === wanted)
    if (identity !== undefined) {
      const name = identity.name ?? account.name
      return { account, email: identity.email, ...(name !== undefined ? { name } : {}) }
    }
    if (account.email.toLowerCase() === wanted) return { account, email: account.email, ...(account.name !== undefined ? { name: account.name } : {}) }
  }
  return null
}

/** The From display name: the account identity's, else a top-level identities[] entry's name. */
export function displayNameFor(config: Pick<Config, 'accounts' | 'identities'>, from: string): string | undefined {
  const own = identityFor(config, from)?.name
  if (own !== undefined) return own
  return config.identities.find((i) => i.email.toLowerCase() === from.trim().toLowerCase())?.name
}
