// Smart host delivery: one transaction with all recipients of a message to a configured relay, with required TLS and AUTH.
//
// Rules (DESIGN.md "Delivery", docs/delivery.md "Smart hosts"):
// - security 'starttls' (default) requires STARTTLS: a server that refuses or does not offer it gets no AUTH and no
//   mail (deferred 4.7.10), never a plaintext fallback; 'tls' is implicit TLS (465); 'none' only when configured;
// - certificates are verified unless the route sets tls.rejectUnauthorized false (test servers);
// - every failure before the transaction defers the mail (a wrong password included: the message is fine, the
//   configuration is not, like Postfix's smtp_sasl_auth_soft_bounce); only "could not reach it at all" is marked
//   `unreachable`, which lets the router try the route's next hop;
// - the host name's addresses are tried in turn while they cannot be reached; the first one that answers decides.
import { isIP } from 'node:net'
import { domainOf } from '../../shared/address'
import type { RouteHop } from '../config/schema'
import { DnsLookupError, type MailResolver } from '../dns/resolver'
import type { Logger } from '../log/logger'
import { classifyError } from './classify'
import { SmtpSession, type AttemptFailure, type SmtpTimeouts } from './smtp'
import type { SmtpLogin } from './smtp-login'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from './types'

export type SmartHostHop = Extract<RouteHop, { type: 'smarthost' }>

export interface SmartHostOptions {
  hop: SmartHostHop
  /** Our host name for EHLO. */
  hostname: string
  /** Looks up the smart host's addresses when `hop.host` is a name. */
  resolver: MailResolver
  log: Logger
  /** XOAUTH2: an access token for an account id (the account layer). */
  xoauth2Token?: (accountId: string) => Promise<string>
  /** PLAIN/LOGIN with `auth.accountId` and no password: that account's stored password (the account layer). */
  accountPassword?: (accountId: string) => Promise<string>
  /** Unit tests only: shorter SMTP timeouts. */
  timeouts?: Partial<SmtpTimeouts>
}

/** `host:port`, the way routes are named in logs and sentences. */
export function smartHostLabel(hop: SmartHostHop): string {
  return `${hop.host}:${hop.port}`
}

/** The login for a hop, or undefined when the route has none. Secrets stay inside the returned object. */
function loginFor(hop: SmartHostHop, xoauth2Token: SmartHostOptions['xoauth2Token'], accountPassword?: SmartHostOptions['accountPassword']): SmtpLogin | undefined {
  const auth = hop.auth
  if (auth === undefined) return undefined
  const method = auth.method ?? 'PLAIN'
  if (method !== 'XOAUTH2') {
    const accountId = auth.accountId
    const source = auth.password === undefined && accountId !== undefined && accountPassword !== undefined ? () => accountPassword(accountId) : undefined
    return { user: auth.user, method, ...(auth.password === undefined ? {} : { password: auth.password }), ...(source === undefined ? {} : { passwordSource: source }) }
  }
  const accountId = auth.accountId
  const token = accountId !== undefined && xoauth2Token !== undefined ? () => xoauth2Token(accountId) : undefined
  return { user: auth.user, method, ...(token === undefined ? {} : { token }) }
}

function outcomesOf(recipients: string[], failure: AttemptFailure): RecipientOutcome[] {
  return recipients.map((recipient) => ({ recipient, status: failure.status, reply: failure.reply, ...(failure.unreachable ? { unreachable: true } : {}) }))
}

export function createSmartHostDeliverer(options: SmartHostOptions): Deliverer {
  const { hop, log } = options
  const label = smartHostLabel(hop)
  const login = loginFor(hop, options.xoauth2Token, options.accountPassword)
  const live = new Set<SmtpSession>()
  const closing = new Set<Promise<void>>()

  const release = (session: SmtpSession): void => {
    const done = session.close().finally(() => {
      live.delete(session)
      closing.delete(done)
    })
    closing.add(done)
  }

  async function addresses(domain: string): Promise<string[] | AttemptFailure> {
    if (isIP(hop.host) !== 0) return [hop.host]
    try {
      return await options.resolver.resolveAddresses(hop.host)
    } catch (error) {
      const lookup = error instanceof DnsLookupError ? error : new DnsLookupError('temporary', hop.host, 'A/AAAA')
      const classification = classifyError(lookup, { domain, host: hop.host, phase: 'connect', smartHost: {} })
      // No server was reached: reply.host stays unset (the maillog says relay=none).
      return { ...classification, reason: lookup.message, reply: { text: lookup.message, enhanced: classification.enhanced, human: classification.human } }
    }
  }

  async function deliver(request: DeliveryRequest): Promise<RecipientOutcome[]> {
    const recipients = [...new Set(request.recipients)]
    const domain = domainOf(recipients[0] ?? request.sender)
    const found = await addresses(domain)
    if (!Array.isArray(found)) {
      log.info('smtp', `${request.queueId}: smart host ${label}: ${found.reason}`)
      return outcomesOf(recipients, found)
    }
    const failures: AttemptFailure[] = []
    for (const address of found) {
      const session = new SmtpSession({ domain, mxName: hop.host, address, port: hop.port }, {
        hostname: options.hostname,
        log,
        security: hop.security,
        rejectUnauthorized: hop.tls?.rejectUnauthorized ?? true,
        ...(login === undefined ? {} : { auth: login }),
        ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts })
      })
      live.add(session)
      const failure = await session.open()
      if (failure !== null) {
        live.delete(session)
        log.info('smtp', `${request.queueId}: smart host ${session.relay}: ${failure.reason}`)
        // Only "could not reach it" moves on; a server that answered (TLS, login, greeting) has decided.
        if (failure.unreachable) { failures.push(failure); continue }
        return outcomesOf(recipients, failure)
      }
      const envelope = {
        from: request.sender,
        to: recipients,
        // DSN parameters go on to the smart host when it offers DSN (smtp.ts decides).
        ...(request.dsn === undefined ? {} : { dsn: request.dsn }),
        ...(request.originals === undefined ? {} : { originals: request.originals })
      }
      const result = await session.send(envelope, request.data)
      release(session)
      if (result.kind === 'no-transaction') {
        log.info('smtp', `${request.queueId}: smart host ${session.relay}: ${result.failure.reason}`)
        failures.push(result.failure)
        continue
      }
      const byRecipient = new Map(result.outcomes.map((o) => [o.recipient, o]))
      return request.recipients.map((r) => byRecipient.get(r) ?? { ...(result.outcomes[0] as RecipientOutcome), recipient: r })
    }
    return outcomesOf(recipients, unreachableFailure(failures))
  }

  /** Every address failed without an answer: one outcome listing each. */
  function unreachableFailure(failures: AttemptFailure[]): AttemptFailure {
    const spoken = failures.find((f) => !f.unreachable)
    if (spoken !== undefined) return spoken
    const tried = failures.map((f) => `${f.reply.host ?? label}: ${f.reason}`).join('; ')
    const human = `The smart host ${hop.host} could not be reached (${tried || 'no address'}).`
    return { status: 'deferred', enhanced: '4.4.1', human, unreachable: true, reason: tried, reply: { text: failures.map((f) => f.reply.text).join('; ') || 'no address', enhanced: '4.4.1', human } }
  }

  return {
    async deliver(request) {
      try {
        return await deliver(request)
      } catch (error) {
        // Never throw: an unexpected bug defers the recipients instead of losing the attempt.
        log.error('smtp', `${request.queueId}: smart host ${label}: internal error: ${(error as Error).stack ?? String(error)}`)
        const human = 'An internal error interrupted delivery.'
        return request.recipients.map((recipient) => ({ recipient, status: 'deferred', reply: { text: `internal error: ${(error as Error).message}`, enhanced: '4.3.0', host: label, human } }))
      }
    },
    async close() {
      for (const session of live) session.destroy()
      await Promise.all([...closing])
    }
  }
}
