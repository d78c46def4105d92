// The router: local recipients to the local delivery agent (aliases, .forward, Maildir, mbox files, programs), remote ones
// through the sender identity's route chain (direct / smart host).
//
// Local: the recipient's domain is a local domain (etc/local-host-names, config localDomains, hostname, localhost),
// or the address has no domain at all. With `paths` (the app), local recipients are expanded by aliases and .forward
// (src/main/local/expand.ts) and delivered by src/main/local/local-delivery.ts; without (unit tests of routing), the
// local part (lower-cased) is the mailbox name under MAILROOM_HOME/mail.
// Remote: the chain of the identity whose address is the envelope sender (routes.default otherwise, and for <>).
// Hop k+1 gets only the recipients whose outcome at hop k was `unreachable` (DNS or connect failed, nothing
// answered); any real answer from a server, 2xx/4xx/5xx, TLS or login trouble included, stands.
// When every hop was unreachable, the outcome lists each hop's reason.
import { join } from 'node:path'
import { domainOf } from '../../shared/address'
import type { Paths } from '../config/paths'
import type { Config, RouteHop } from '../config/schema'
import { localSettings } from '../config/schema-local'
import type { MailResolver } from '../dns/resolver'
import { fileDeliveredRecords } from '../local/delivered-record'
import type { LocalDomains } from '../local/domains'
import { createExpander } from '../local/expand'
import type { Expander } from '../local/expansion-types'
import { createLocalDelivery, LOCAL_RELAY } from '../local/local-delivery'
import { createMaildirWriter, type MaildirWriter } from '../local/maildir'
import { findLocalUser } from '../local/users'
import type { Logger } from '../log/logger'
import type { EnqueueInput } from '../queue/submission'
import { classifyMailboxError } from './classify'
import { selectRoute, type SelectedRoute } from './routes'
import { createSmartHostDeliverer, smartHostLabel, type SmartHostHop } from './smarthost'
import type { SmtpTimeouts } from './smtp'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from './types'

/** `host` of outcomes delivered locally. */
export { LOCAL_RELAY }

export interface RouterOptions {
  config: Pick<Config, 'hostname' | 'routes' | 'identities'> & Partial<Pick<Config, 'local'>>
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
  /** The route of a sender that is an account address or identity with a submission server (accounts/route.ts); null: selectRoute decides. */
  accountRoute?: (sender: string) => SelectedRoute | null
  /** The stored password of an account, for smart-host hops with auth.accountId and no password. */
  accountPassword?: (accountId: string) => Promise<string>
  /** Local mailboxes; default a Maildir writer under mailRoot. */
  maildir?: Pick<MaildirWriter, 'deliver'>
  /** Unit tests only: shorter SMTP timeouts for smart hosts. */
  timeouts?: Partial<SmtpTimeouts>
  /**
   * MAILROOM_HOME's layout: with it local recipients are expanded (etc/aliases, ~/.forward) and delivered by the local
   * delivery agent, which keeps its "already delivered targets" records in <home>/var/local-delivery. Without it
   * (routing tests) the local part is the mailbox.
   */
  paths?: Pick<Paths, 'home' | 'etc'>
  /** The expander (default: createExpander over paths). */
  expander?: Expander
  /** Queues the forwarded copy of mail whose alias or .forward leads to a remote address (the container binds queue.submit late). */
  enqueue?: (input: EnqueueInput) => Promise<unknown>
}

/** Routing tests without MAILROOM_HOME: every local recipient is the mailbox named by its local part. */
const mailboxPerLocalPart: Expander = {
  async expand(recipient) {
    const at = recipient.lastIndexOf('@')
    const user = (at < 0 ? recipient : recipient.slice(0, at)).toLowerCase()
    return { recipient, targets: [{ target: { kind: 'mailbox', user }, via: [] }], problems: [], warnings: [] }
  }
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
  const localOptions = config.local ?? localSettings.parse({})
  const localConfig = { hostname: config.hostname, local: localOptions }
  const paths = options.paths
  const expander = options.expander ?? (paths === undefined
    ? mailboxPerLocalPart
    : createExpander({ config: localConfig, paths, localDomains: options.localDomains, log }))
  const localDelivery = createLocalDelivery({
    config: localConfig,
    expander,
    maildir,
    log,
    findUser: (name) => (paths === undefined ? undefined : findLocalUser(localConfig, name)),
    mailroomHome: paths?.home ?? '',
    ...(options.enqueue === undefined ? {} : { enqueue: options.enqueue }),
    ...(paths === undefined ? {} : { records: fileDeliveredRecords(join(paths.home, 'var', 'local-delivery')) }),
    classifyMailboxError
  })
  const factory = options.smarthostFactory ?? ((hop: SmartHostHop) => createSmartHostDeliverer({
    hop,
    hostname: config.hostname,
    resolver: options.resolver,
    log,
    ...(options.xoauth2Token === undefined ? {} : { xoauth2Token: options.xoauth2Token }),
    ...(options.accountPassword === undefined ? {} : { accountPassword: options.accountPassword }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts })
  }))
  /** One deliverer per smart host hop, built at start so close() reaches all of them. */
  const smartHosts = new Map<SmartHostHop, Deliverer>()
  for (const [name, hops] of Object.entries(config.routes)) {
    for (const hop of hops) if (hop.type === 'smarthost') smartHosts.set(hop, factory(hop, name))
  }
  /** Account routes appear while the app runs (accounts added in the UI): their deliverer is built on first use. */
  const delivererOf = (hop: RouteHop): Deliverer => {
    if (hop.type === 'direct') return options.direct
    let deliverer = smartHosts.get(hop)
    if (deliverer === undefined) {
      deliverer = factory(hop, 'account')
      smartHosts.set(hop, deliverer)
    }
    return deliverer
  }

  async function deliverRemote(request: DeliveryRequest, recipients: string[]): Promise<RecipientOutcome[]> {
    const route = options.accountRoute?.(request.sender) ?? selectRoute(config, request.sender)
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
        local.length === 0 ? Promise.resolve([]) : localDelivery.deliver(request, local).catch((error: unknown) => {
          log.error('local', `${request.queueId}: internal error: ${(error as Error).stack ?? String(error)}`)
          return local.map((r) => deferredOutcome(r, '4.3.0', 'An internal error interrupted local delivery.', `internal error: ${(error as Error).message}`))
        }),
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
