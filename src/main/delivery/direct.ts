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
import { domainOf } from '../../shared/address'
import type { SmtpReplyInfo } from '../../shared/contract'
import type { MailResolver } from '../dns/resolver'
import type { Logger } from '../log/logger'
import { planRoute } from './mx'
import { SmtpSession, type AttemptFailure, type SmtpTimeouts } from './smtp'
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

  /** Ends a session in the background: the outcomes do not wait for QUIT. */
  const release = (session: SmtpSession): void => {
    live.add(session)
    const done = session.close().finally(() => {
      live.delete(session)
      closing.delete(done)
    })
    closing.add(done)
  }

  async function deliverDomain(domain: string, recipients: string[], request: DeliveryRequest): Promise<RecipientOutcome[]> {
    const route = await planRoute(domain, options.resolver, { allowLoopback: options.allowLoopback, random })
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
        const session = new SmtpSession({ domain, mxName: host.name, address, port }, { hostname: options.hostname, log, ...(options.timeouts ? { timeouts: options.timeouts } : {}) })
        const failure = await session.open()
        if (failure !== null) {
          log.info('smtp', `${request.queueId}: ${describeFailure(failure)}`)
          failures.push(failure)
          continue
        }
        const result = await session.send({ from: request.sender, to: remaining }, request.data)
        release(session)
        if (result.kind === 'no-transaction') {
          log.info('smtp', `${request.queueId}: ${describeFailure(result.failure)}`)
          failures.push(result.failure)
          continue
        }
        for (const outcome of result.outcomes) {
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
      for (const session of live) session.destroy()
      await Promise.all([...closing])
    }
  }
}
