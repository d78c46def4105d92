// Is a local recipient known? Asked at RCPT time so that mail for an unknown user is refused (550 5.1.1), never bounced later.
import type { Config } from '../config/schema'
import type { Expander } from '../local/expansion-types'
import { localUsers, type SystemUser } from '../local/users'

export type RecipientVerdict =
  | { ok: true }
  /** permanent: 550 5.1.1; otherwise 451 4.3.0 (e.g. an unreadable aliases file: the client tries again). */
  | { ok: false; permanent: boolean; reason: string; enhanced?: string }

/** Checks the local part of an address whose domain is local (lower-cased by the caller). */
export type LocalRecipientCheck = (localPart: string, address: string) => Promise<RecipientVerdict>

/** RFC 5321 §4.5.1: every SMTP server must accept mail for postmaster. */
const ALWAYS_ACCEPTED = new Set(['postmaster'])

/** Without alias expansion: the local users (the OS user and config local.users) and postmaster. */
export function usersRecipientCheck(config: Pick<Config, 'local'>, system?: SystemUser): LocalRecipientCheck {
  return async (localPart) => {
    const name = localPart.toLowerCase()
    if (ALWAYS_ACCEPTED.has(name)) return { ok: true }
    const users = system === undefined ? localUsers(config) : localUsers(config, system)
    if (users.some((user) => user.name === name)) return { ok: true }
    return { ok: false, permanent: true, reason: 'User unknown in local recipient table' }
  }
}

/**
 * With the expander (aliases → .forward → mailbox): known when the expansion has a target; an unknown-user problem is
 * permanent; any other problem that leaves no target (a loop, an unreadable file) answers as the expander judged it.
 */
export function expanderRecipientCheck(expander: Expander): LocalRecipientCheck {
  return async (localPart, address) => {
    if (ALWAYS_ACCEPTED.has(localPart.toLowerCase())) return { ok: true }
    const expansion = await expander.expand(address)
    if (expansion.targets.length > 0) return { ok: true }
    const problem = expansion.problems.find((p) => p.kind === 'unknown-user') ?? expansion.problems[0]
    if (problem === undefined) return { ok: false, permanent: true, reason: 'User unknown in local recipient table' }
    if (problem.kind === 'unknown-user') return { ok: false, permanent: problem.permanent, reason: 'User unknown in local recipient table' }
    return { ok: false, permanent: problem.permanent, reason: problem.message, enhanced: problem.enhanced }
  }
}
