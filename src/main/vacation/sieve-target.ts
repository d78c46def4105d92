// Which ManageSieve server an IMAP account's vacation script goes to: the account's `sieve` settings, else the IMAP host
// on port 4190 with STARTTLS (RFC 5804 §1.8), keeping the account's TLS verification choice.
import type { ManageSieveOptions } from './managesieve'

export const MANAGESIEVE_PORT = 4190

/** What this needs of a configured account (config/schema-account.ts). */
export interface AccountForSieve {
  imap: { host: string; user: string; security: 'tls' | 'starttls' | 'none'; tls?: { rejectUnauthorized: boolean } | undefined }
  sieve?: { host?: string | undefined; port: number; security: 'tls' | 'starttls' | 'none' } | undefined
}

export function sieveServerOf(account: AccountForSieve, password: string): ManageSieveOptions {
  const sieve = account.sieve
  return {
    host: sieve?.host ?? account.imap.host,
    port: sieve?.port ?? MANAGESIEVE_PORT,
    // A plaintext IMAP test server gets a plaintext ManageSieve; everything else upgrades with STARTTLS.
    security: sieve?.security ?? (account.imap.security === 'none' ? 'none' : 'starttls'),
    user: account.imap.user,
    password,
    ...(account.imap.tls !== undefined ? { tls: { rejectUnauthorized: account.imap.tls.rejectUnauthorized } } : {})
  }
}
