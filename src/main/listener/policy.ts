// Who may send what through the listener: loopback clients only, local recipients for anyone, remote ones (relay) only
// for an AUTH user of config listener.relay.users or, with listener.relay.ownUser, a client running as our own OS user.
import { createHash, timingSafeEqual } from 'node:crypto'
import { checkAddress } from '../../shared/address'
import type { LocalDomains } from '../local/domains'
import { normaliseAddress, type SocketEnd } from './peer-uid'
import type { LocalRecipientCheck } from './recipients'
import { replies, type SmtpReplyError } from './replies'

export interface RelayPolicy {
  /** A client whose socket belongs to ownUid may relay. */
  ownUser: boolean
  /** Our uid (process.getuid()); null where there is none (Windows): then ownUser never matches. */
  ownUid: number | null
  users: ReadonlyArray<{ user: string; password: string }>
}

export interface RecipientPolicyOptions {
  hostname: string
  localDomains: LocalDomains
  checkLocal: LocalRecipientCheck
  relay: RelayPolicy
}

/** What the policy knows of a session when it decides about a recipient. */
export interface SessionFacts {
  authenticatedUser: string | null
  /** The uid owning the client's socket; asked only when needed (a remote recipient without AUTH). */
  peerUid(): Promise<number | null>
}

export function isLoopback(address: string): boolean {
  const a = normaliseAddress(address)
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)
}

export const endOf = (address: string, port: number): SocketEnd => ({ address, port })

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** Checks AUTH PLAIN/LOGIN credentials against listener.relay.users in constant time; the user name on success. */
export function checkCredentials(users: RelayPolicy['users'], user: string, password: string): string | null {
  let match: string | null = null
  for (const entry of users) {
    const sameUser = timingSafeEqual(digest(entry.user), digest(user))
    const samePassword = timingSafeEqual(digest(entry.password), digest(password))
    if (sameUser && samePassword) match = entry.user
  }
  return match
}

/** The domain of an address, lower-cased, or '' for a bare local part. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 0 ? '' : address.slice(at + 1).toLowerCase()
}

/** A bare local part ("root", "postmaster" — RFC 5321 §4.1.1.3 allows the latter unqualified) gets our host name. */
export function qualify(address: string, hostname: string): string {
  return address.includes('@') ? address : `${address}@${hostname}`
}

/** The sender of MAIL FROM: '' (null sender) or a valid address; null = fine, else the reply refusing it. */
export function checkSender(address: string, hostname: string): SmtpReplyError | null {
  if (address === '') return null
  const check = checkAddress(qualify(address, hostname))
  return check.ok ? null : replies.badSender(address, `not a valid address (${check.reason})`)
}

/** Decides RCPT TO: null accepts; else the reply. Never throws for a bad address. */
export async function checkRecipient(options: RecipientPolicyOptions, session: SessionFacts, raw: string): Promise<SmtpReplyError | null> {
  const address = qualify(raw, options.hostname)
  const check = checkAddress(address)
  if (!check.ok) return replies.badAddress(raw, `not a valid address (${check.reason})`)
  const domain = domainOf(address)
  if (options.localDomains.has(domain)) {
    const localPart = address.slice(0, address.lastIndexOf('@'))
    let verdict
    try {
      verdict = await options.checkLocal(localPart, address)
    } catch (error) {
      return replies.recipientTempFail(raw, (error as Error).message)
    }
    if (verdict.ok) return null
    // The expander's own enhanced code when it has one of the right class (5.4.6 loop, 4.3.0 unreadable…).
    const enhanced = verdict.enhanced?.startsWith(verdict.permanent ? '5.' : '4.') === true ? verdict.enhanced : undefined
    return verdict.permanent ? replies.unknownUser(raw, verdict.reason, enhanced) : replies.recipientTempFail(raw, verdict.reason, enhanced)
  }
  if (session.authenticatedUser !== null) return null
  const { relay } = options
  if (relay.ownUser && relay.ownUid !== null && (await session.peerUid()) === relay.ownUid) return null
  return replies.relayDenied(raw)
}
