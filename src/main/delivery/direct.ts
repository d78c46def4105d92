// Direct MX delivery (RFC 5321 §5.1): per recipient domain, plan the route, then try MX hosts and addresses in order.
//
// The MX logic (mx.ts, and the fallback rules here) is hand-written because no library does RFC 5321 §5 routing well;
// the SMTP protocol is nodemailer's (smtp.ts). Rules for moving on:
// - nothing decided yet (connect refused/timed out/unreachable, greeting or EHLO refused, TLS handshake failed,
//   connection lost before the message went out): try the next address, then the next MX host;
// - a 5xx, any per-recipient reply, or a lost connection after the message went out: stop; that is the verdict;
// - a 4xx to the whole transaction (MAIL FROM, DATA, end of data, or a 421): try the next MX host (not the other
//   addresses of the same host, which are usually the same cluster) with the recipients not yet sent or failed,
//   as RFC 5321 §5.1 allows; if no later host gives a verdict, the first 4xx stands.
// A per-recipient 4xx at RCPT TO is final for this attempt: it is about the mailbox, which a backup MX cannot fix.
// At most MAX_ADDRESSES_PER_DOMAIN addresses are tried per delivery (Postfix's smtp_mx_address_limit).
// A TLS handshake that fails after the server's 220 to STARTTLS is retried once on the same address in plaintext
// (Postfix's `may` level does the same: opportunistic TLS is no protection against an active attacker anyway).
// Connections are pooled per `name[ip]:port` across messages (pool.ts); one message's transaction(s) on a session,
// with the ESMTP checks and the 452 continuation, are in transaction.ts.
import { domainOf } from '../../shared/address'
import type { SmtpReplyInfo } from '../../shared/contract'
import type { MailResolver } from '../dns/resolver'
import type { Logger } from '../log/logger'
import { planRoute, type AddressOrder } from './mx'
import { SessionPool, type PoolOptions } from './pool'
import { SmtpSession, type AttemptFailure, type SmtpTarget, type SmtpTimeouts } from './smtp'
import { deliverOnSession } from './transaction'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from './types'

export const MAX_ADDRESSES_PER_DOMAIN = 5
/** Domains of one message delivered at once. */
export const DOMAIN_CONCURRENCY = 4

export interface DirectDelivererOptions {
  resolver: MailResolver
  /** Our host name for EHLO. */
  hostname: string
  /** Let MX answers point at loopback/private addresses (test configurations only). */
  allowLoopback: boolean
  /** SMTP port; 25 unless a unit test injects one. */
  port?: number
  /** Shuffles MX hosts of equal preference; Math.random by default. */
  random?: () => number
  log: Logger
  /** Unit tests only: shorter SMTP timeouts. */
  timeouts?: Partial<SmtpTimeouts>
  /** Which address family of each MX to try first (default: A then AAAA); see mx.ts. */
  addressOrder?: AddressOrder
  /** Connection reuse across messages (pool.ts); false: one connection per message and domain. */
  pool?: PoolOptions | false
}

function outcomeOf(recipient: string, c: { status: RecipientOutcome['status']; enhanced: string; human: string; unreachable: boolean }, reply: Omit<SmtpReplyInfo, 'enhanced' | 'human'>): RecipientOutcome {
  return { recipient, status: c.status, reply: { ...reply, enhanced: c.enhanced, human: c.human }, ...(c.unreachable ? { unreachable: true } : {}) }
}

/** When no session got as far as a transaction: the first server that said something, or "could not reach any". */
function noTransactionOutcome(recipient: string, domain: string, failures: AttemptFailure[]): RecipientOutcome {
  const spoken = failures.find((f) => !f.unreachable)
  if (spoken !== undefined) return { recipient, status: spoken.status, reply: spoken.reply }
  const tried = failures.map((f) => `${f.reply.host ?? '?'}: ${f.reason}`).join('; ')
  return outcomeOf(recipient, {
    status: 'deferred',
    enhanced: '4.4.1',
    human: `None of the mail servers for ${domain} could be reached (${tried}).`,
    unreachable: true
  }, { text: failures.map((f) => f.reply.text).join('; ') })
}

/** A log line for an attempt that decided nothing, Postfix style. */
function describeFailure(failure: AttemptFailure): string {
  const { text, host } = failure.reply
  return /^(connect to|conversation with) /.test(text) ? text : `host ${host ?? '?'} refused to talk to us: ${text}`
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export function createDirectDeliverer(options: DirectDelivererOptions): Deliverer {
  const port = options.port ?? 25
  const random = options.random ?? Math.random
  const { log } = options
  const closing = new Set<Promise<void>>()
  const live = new Set<SmtpSession>()
  const sessionOptions = { hostname: options.hostname, log, ...(options.timeouts ? { timeouts: options.timeouts } : {}) }

  /** Ends a session in the background: the outcomes do not wait for QUIT. */
  const release = (session: SmtpSession): void => {
    live.add(session)
    const done = session.close().finally(() => {
      live.delete(session)
      closing.delete(done)
    })
    closing.add(done)
  }
  const pool = options.pool === false ? undefined : new SessionPool(release, options.pool)
  const finish = (session: SmtpSession): void => {
    if (pool === undefined) release(session)
    else pool.give(session)
  }

  /** A ready session to this address: pooled (after RSET), or new; a failed TLS handshake is retried in plaintext once. */
  async function connect(target: SmtpTarget, queueId: string): Promise<{ session: SmtpSession; reused: boolean } | { failure: AttemptFailure }> {
    const relay = `${target.mxName}[${target.address}]:${target.port}`
    const pooled = await pool?.take(relay)
    if (pooled !== undefined) return { session: pooled, reused: true }
    const session = new SmtpSession(target, sessionOptions)
    const failure = await session.open()
    if (failure === null) {
      pool?.opened(session)
      return { session, reused: false }
    }
    if (!session.tlsHandshakeFailed) return { failure }
    log.info('smtp', `${queueId}: ${describeFailure(failure)}; trying ${relay} again without TLS`)
    const plain = new SmtpSession(target, { ...sessionOptions, skipStartTls: true })
    const again = await plain.open()
    if (again !== null) return { failure: again }
    pool?.opened(plain)
    return { session: plain, reused: false }
  }

  async function deliverDomain(domain: string, recipients: string[], request: DeliveryRequest): Promise<RecipientOutcome[]> {
    const started = Date.now()
    const route = await planRoute(domain, options.resolver, { allowLoopback: options.allowLoopback, random, ...(options.addressOrder ? { addressOrder: options.addressOrder } : {}) })
    if (route.kind === 'failure') {
      log.info('smtp', `${request.queueId}: ${domain}: ${route.text}`)
      return recipients.map((r) => outcomeOf(r, route, { text: route.text }))
    }
    for (const note of route.skipped) log.warn('smtp', `${request.queueId}: ${domain}: skipped ${note}`)

    const decided = new Map<string, RecipientOutcome>()
    /** Recipients deferred by a whole-transaction 4xx: kept unless a later MX gives a verdict. */
    const softened = new Map<string, RecipientOutcome>()
    const failures: AttemptFailure[] = []
    let remaining = recipients
    let tries = 0

    hosts: for (const [index, host] of route.hosts.entries()) {
      for (const address of host.addresses) {
        if (tries >= MAX_ADDRESSES_PER_DOMAIN) break hosts
        tries += 1
        const target = { domain, mxName: host.name, address, port }
        let opened = await connect(target, request.queueId)
        if ('failure' in opened) {
          log.info('smtp', `${request.queueId}: ${describeFailure(opened.failure)}`)
          failures.push(opened.failure)
          continue
        }
        let session = opened.session
        let ready = Date.now()
        let result = await deliverOnSession(session, domain, remaining, request, log)
        if (result.kind === 'no-transaction' && opened.reused) {
          // A pooled connection died between its RSET and our MAIL FROM: that says nothing about the server. Once more, fresh.
          session.destroy()
          opened = await connect(target, request.queueId)
          if ('failure' in opened) {
            log.info('smtp', `${request.queueId}: ${describeFailure(opened.failure)}`)
            failures.push(opened.failure)
            continue
          }
          session = opened.session
          ready = Date.now()
          result = await deliverOnSession(session, domain, remaining, request, log)
        }
        if (result.kind === 'no-transaction') session.destroy()
        else finish(session)
        if (result.kind === 'no-transaction') {
          log.info('smtp', `${request.queueId}: ${describeFailure(result.failure)}`)
          failures.push(result.failure)
          continue
        }
        const timing = { setupMs: ready - started, transmitMs: Date.now() - ready }
        for (const answered of result.outcomes) {
          const outcome = { ...answered, timing }
          if (result.retryElsewhere && outcome.status === 'deferred') {
            if (!softened.has(outcome.recipient)) softened.set(outcome.recipient, outcome)
          } else {
            decided.set(outcome.recipient, outcome)
            softened.delete(outcome.recipient)
          }
        }
        remaining = remaining.filter((r) => !decided.has(r))
        const next = route.hosts[index + 1]
        if (!result.retryElsewhere || remaining.length === 0 || next === undefined) break hosts
        log.info('smtp', `${request.queueId}: ${session.relay} deferred the whole transaction; trying the next MX host, ${next.name}`)
        continue hosts
      }
    }
    return recipients.map((r) => decided.get(r) ?? softened.get(r) ?? noTransactionOutcome(r, domain, failures))
  }

  return {
    async deliver(request) {
      const byDomain = new Map<string, string[]>()
      for (const recipient of request.recipients) {
        const domain = domainOf(recipient)
        const list = byDomain.get(domain) ?? []
        if (!list.includes(recipient)) list.push(recipient)
        byDomain.set(domain, list)
      }
      const perDomain = await mapLimited([...byDomain], DOMAIN_CONCURRENCY, async ([domain, recipients]) => {
        try {
          return await deliverDomain(domain, recipients, request)
        } catch (error) {
          // Never throw: an unexpected bug defers these recipients instead of losing the attempt.
          log.error('smtp', `${request.queueId}: ${domain}: internal error: ${(error as Error).stack ?? String(error)}`)
          const reply = { text: `internal error: ${(error as Error).message}` }
          return recipients.map((r) => outcomeOf(r, { status: 'deferred', enhanced: '4.3.0', human: 'An internal error interrupted delivery.', unreachable: false }, reply))
        }
      })
      const byRecipient = new Map(perDomain.flat().map((o) => [o.recipient, o]))
      return request.recipients.map((r) => byRecipient.get(r) ?? outcomeOf(r, { status: 'deferred', enhanced: '4.3.0', human: 'Delivery produced no result for this recipient.', unreachable: false }, { text: 'no outcome' }))
    },

    async close() {
      pool?.close()
      for (const session of live) session.destroy()
      await Promise.all([...closing])
    }
  }
}
