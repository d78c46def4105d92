// Part of the one reply classifier (classify.ts calls and re-exports it): the cases about our own side, i.e. smart host
// TLS, certificates and logins, and local Maildir errors. Kept apart so classify.ts stays readable; no imports from it.
import type { OutcomeStatus } from './types'

/** The same shapes as classify.ts's Classification / ClassifyContext (structural, to avoid a circular import). */
interface Verdict {
  status: OutcomeStatus
  enhanced: string
  human: string
  unreachable: boolean
}

interface ErrorFields {
  code?: string
  originalCode?: string
  responseCode?: number
  message?: string
}

interface SmartHostContext {
  domain: string
  host?: string
  smartHost?: { user?: string; method?: string }
}

/** Node's certificate verification failures, by OpenSSL/Node code or (nodemailer often keeps only that) by message. */
const CERTIFICATE_PROBLEMS: Array<[RegExp, string]> = [
  [/SELF_SIGNED|self[- ]signed certificate/i, 'self-signed'],
  [/ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i, 'it is issued for another name'],
  [/CERT_HAS_EXPIRED|certificate has expired/i, 'it has expired'],
  [/CERT_NOT_YET_VALID|certificate is not yet valid/i, 'it is not valid yet'],
  [/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|unable to (get local issuer|verify the first|get issuer) certificate/i, 'its issuer is unknown'],
  [/CERT_REVOKED|certificate revoked/i, 'it has been revoked']
]

/** Why a certificate was refused, or undefined when the error is not about certificate verification. */
export function certificateProblem(e: ErrorFields): string | undefined {
  if (e.responseCode !== undefined) return undefined
  const text = `${e.code ?? ''} ${e.originalCode ?? ''} ${e.message ?? ''}`
  return CERTIFICATE_PROBLEMS.find(([pattern]) => pattern.test(text))?.[1]
}

/**
 * Smart host trouble that is about our configuration, not about the message. All of it is deferred, so a fixed
 * configuration lets the queued mail go (like Postfix's smtp_sasl_auth_soft_bounce = yes):
 * - STARTTLS required but refused or not offered: 4.7.10 (encryption needed); no AUTH was sent;
 * - the server offers no AUTH (code ENOAUTH from smtp.ts), or no secret is configured: 4.7.0;
 * - the login refused (535 5.7.8 is permanent for the credentials, but the mail itself is fine): 4.7.8.
 */
export function classifySmartHostError(e: ErrorFields, phase: string, context: SmartHostContext): Verdict | undefined {
  const smart = context.smartHost
  if (smart === undefined) return undefined
  const host = context.host ?? context.domain
  const user = smart.user ?? 'the configured user'
  const deferred = (enhanced: string, human: string): Verdict => ({ status: 'deferred', enhanced, human, unreachable: false })
  if (phase === 'starttls' && e.responseCode !== undefined) {
    const why = e.responseCode < 500 ? 'could not start encryption (STARTTLS) right now' : 'does not offer encryption (STARTTLS)'
    return deferred('4.7.10', `The smart host ${host} ${why}, which this route requires; nothing was sent, not even the login.`)
  }
  if (e.code === 'ENOAUTH') {
    return deferred('4.7.0', `The smart host ${host} does not offer a login (AUTH) on this connection; check the route's port and security.`)
  }
  if (e.code === 'ENOSECRET') return deferred('4.7.0', `No ${smart.method === 'XOAUTH2' ? 'sign-in token' : 'password'} is available for ${user} on the smart host ${host}: ${e.message ?? 'not configured'}.`)
  if (e.code !== 'EAUTH' && phase !== 'auth') return undefined
  if (e.responseCode !== undefined && e.responseCode >= 500) {
    const check = smart.method === 'XOAUTH2' ? 'check the account\'s sign-in' : 'check the password'
    return deferred('4.7.8', `The smart host ${host} refused the login for ${user}: ${check}.`)
  }
  if (e.responseCode !== undefined && e.responseCode >= 400) {
    return deferred('4.7.0', `The smart host ${host} could not check the login for ${user} right now; this is temporary.`)
  }
  if (e.code === 'EAUTH') return deferred('4.7.0', `Logging in to the smart host ${host} as ${user} failed: ${e.message ?? 'unknown error'}.`)
  return undefined
}

/**
 * Local Maildir delivery (local/maildir.ts): an invalid mailbox name is permanent (5.1.3); a full disk (4.3.1) or any
 * other I/O error (4.3.0) is temporary. `error` is an AppError (code + temporary) or a raw fs error.
 */
export function classifyMailboxError(error: unknown, recipient: string): Verdict {
  const e = error as { code?: unknown; temporary?: unknown; message?: unknown; details?: { errno?: unknown } }
  const message = typeof e.message === 'string' ? e.message : String(error)
  const errno = typeof e.details?.errno === 'string' ? e.details.errno : typeof e.code === 'string' ? e.code : ''
  if (e.temporary === false) return { status: 'failed', enhanced: '5.1.3', human: `${recipient} is not a valid local mailbox: ${message}.`, unreachable: false }
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return { status: 'deferred', enhanced: '4.3.1', human: `The disk holding the local mailbox of ${recipient} is full; this is temporary.`, unreachable: false }
  }
  return { status: 'deferred', enhanced: '4.3.0', human: `The local mailbox of ${recipient} could not be written (${message}); this is temporary.`, unreachable: false }
}
