// The router: local recipients into their Maildir, remote ones through the sender identity's route chain (direct / smart host).
//
// Local: the recipient's domain is a local domain (etc/local-host-names, config localDomains, hostname, localhost),
// or the address has no domain at all;
// until aliases/.forward exist, the local part (lower-cased) is the mailbox name under MAILROOM_HOME/mail.
// Remote: the chain of the identity whose address is the envelope sender (routes.default otherwise, and for <>).
// Hop k+1 gets only the recipients whose outcome at hop k was `unreachable` (DNS or connect failed, nothing
// answered); any real answer from a server, 2xx/4xx/5xx, TLS or login trouble included, stands.
// When every hop was unreachable, the outcome lists each hop's reason.
import { domainOf } from '../../shared/address'
import type { Config, RouteHop } from '../config/schema'
import type { MailResolver } from '../dns/resolver'
import type { LocalDomains } from '../local/domains'
import { createMaildirWriter, type MaildirWriter } from '../local/maildir'
import type { Logger } from '../log/logger'
import { classifyMailboxError } from './classify'
import { selectRoute } from './routes'
import { createSmartHostDeliverer, smartHostLabel, type SmartHostHop } from './smarthost'
import type { SmtpTimeouts } from './smtp'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from './types'

/** `host` of outcomes delivered into a local Maildir. */
export const LOCAL_RELAY = 'local'

export interface RouterOptions {
  config: Pick<Config, 'hostname' | 'routes' | 'identities'>
  localDomains: LocalDomains
  /** MAILROOM_HOME/mail. */
  mailRoot: string
  /** Direct MX delivery (shared by every route with a direct hop). */
  direct: Deliverer
  /** Resolves smart host names (the default smart host factory). */
  resolver: MailResolver
  log: Logger
  /** Builds the deliverer of one smart host hop; default createSmartHostDeliverer. Tests inject fakes. */
  smarthostFactory?: (hop: SmartHostHop, routeName: string) => Deliverer
  /** XOAUTH2 access token for an account id (the account layer). */
  xoauth2Token?: (accountId: string) => Promise<string>
  /** Local mailboxes; default a Maildir writer under mailRoot. */
  maildir?: Pick<MaildirWriter, 'deliver'>
  /** Unit tests only: shorter SMTP timeouts for smart hosts. */
  timeouts?: Partial<SmtpTimeouts>
}

function hopLabel(hop: RouteHop): string {
  return hop.type === 'direct' ? 'direct' : `smart host ${smartHostLabel(hop)}`
}

function deferredOutcome(recipient: string, enhanced: string, human: string, text: string): RecipientOutcome {
  return { recipient, status: 'deferred', reply: { text, enhanced, human } }
}

export function createRouter(options: RouterOptions): Deliverer {
  const { config, log } = options
  const maildir = options.maildir ?? createMaildirWriter({ mailRoot: options.mailRoot, hostname: config.hostname })
  const factory = options.smarthostFactory ?? ((hop: SmartHostHop) => createSmartHostDeliverer({
    hop,
    hostname: config.hostname,
    resolver: options.resolver,
    log,
    ...(options.xoauth2Token === undefined ? {} : { xoauth2Token: options.xoauth2Token }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts })
  }))
  /** One deliverer per smart host hop, built at start so close() reaches all of them. */
  const smartHosts = new Map<SmartHostHop, Deliverer>()
  for (const [name, hops] of Object.entries(config.routes)) {
    for (const hop of hops) if (hop.type === 'smarthost') smartHosts.set(hop, factory(hop, name))
  }
  const delivererOf = (hop: RouteHop): Deliverer => (hop.type === 'direct' ? options.direct : smartHosts.get(hop) as Deliverer)

  async function deliverLocal(request: DeliveryRequest, recipient: string): Promise<RecipientOutcome> {
    const at = recipient.lastIndexOf('@')
    const user = (at < 0 ? recipient : recipient.slice(0, at)).toLowerCase()
    try {
      const path = await maildir.deliver(user, request.data, { returnPath: request.sender, deliveredTo: recipient })
      log.info('local', `${request.queueId}: ${recipient} delivered to ${path}`)
      return { recipient, status: 'sent', reply: { text: `delivered to maildir of ${user}`, enhanced: '2.0.0', host: LOCAL_RELAY, human: `Delivered to the local mailbox of ${user}.` } }
    } catch (error) {
      const c = classifyMailboxError(error, recipient)
      log.warn('local', `${request.queueId}: ${recipient}: ${(error as Error).message}`)
      return { recipient, status: c.status, reply: { text: (error as Error).message, enhanced: c.enhanced, host: LOCAL_RELAY, human: c.human } }
    }
  }

  async function deliverRemote(request: DeliveryRequest, recipients: string[]): Promise<RecipientOutcome[]> {
    const route = selectRoute(config, request.sender)
    if (route === undefined) {
      // validateRoutes refuses such a config at start-up; this only guards a config changed behind our back.
      const text = 'no usable route for this sender (routes.default is missing)'
      return recipients.map((r) => deferredOutcome(r, '4.3.5', 'Mailroom has no route for this sender; check routes in the configuration.', text))
    }
    const final = new Map<string, RecipientOutcome>()
    /** What each hop said to the recipients it could not reach, for the sentence when no hop could. */
    const misses = new Map<string, string[]>()
    let pending = recipients
    for (const [index, hop] of route.hops.entries()) {
      if (pending.length === 0) break
      const outcomes = await delivererOf(hop).deliver({ ...request, recipients: pending })
      const byRecipient = new Map(outcomes.map((o) => [o.recipient, o]))
      const isLast = index === route.hops.length - 1
      const next: string[] = []
      for (const recipient of pending) {
        const outcome = byRecipient.get(recipient) ?? deferredOutcome(recipient, '4.3.0', 'Delivery produced no result for this recipient.', 'no outcome')
        if (outcome.unreachable === true) {
          const said = misses.get(recipient) ?? []
          said.push(`${hopLabel(hop)}: ${(outcome.reply.human ?? outcome.reply.text).replace(/\.$/, '')}`)
          misses.set(recipient, said)
          if (!isLast) { next.push(recipient); continue }
        }
        final.set(recipient, outcome)
      }
      if (next.length > 0) {
        const following = route.hops[index + 1] as RouteHop
        log.info('route', `${request.queueId}: route ${route.name}: ${hopLabel(hop)} could not reach ${next.join(', ')}; trying ${hopLabel(following)}`)
      }
      pending = next
    }
    return recipients.map((recipient) => {
      const outcome = final.get(recipient) as RecipientOutcome
      const said = misses.get(recipient) ?? []
      if (outcome.unreachable !== true || said.length < 2) return outcome
      return { ...outcome, reply: { ...outcome.reply, human: `No hop of route ${route.name} could be reached (${said.join('; ')}).` } }
    })
  }

  return {
    async deliver(request) {
      const local: string[] = []
      const remote: string[] = []
      for (const recipient of new Set(request.recipients)) {
        // An unqualified address ("root") is local, as in sendmail.
        if (!recipient.includes('@') || options.localDomains.has(domainOf(recipient))) local.push(recipient)
        else remote.push(recipient)
      }
      const [localOutcomes, remoteOutcomes] = await Promise.all([
        Promise.all(local.map((r) => deliverLocal(request, r))),
        remote.length === 0 ? Promise.resolve([]) : deliverRemote(request, remote).catch((error: unknown) => {
          // Never throw: a bug defers these recipients instead of losing the attempt.
          log.error('route', `${request.queueId}: internal error: ${(error as Error).stack ?? String(error)}`)
          return remote.map((r) => deferredOutcome(r, '4.3.0', 'An internal error interrupted delivery.', `internal error: ${(error as Error).message}`))
        })
      ])
      const byRecipient = new Map([...localOutcomes, ...remoteOutcomes].map((o) => [o.recipient, o]))
      return request.recipients.map((r) => byRecipient.get(r) as RecipientOutcome)
    },
    async close() {
      await Promise.all([options.direct.close(), ...[...smartHosts.values()].map((d) => d.close())])
    }
  }
}
