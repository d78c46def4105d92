// The container: builds every core service once, with its dependencies passed in, and owns their start/stop order.
import { mkdir } from 'node:fs/promises'
import type { Config } from '../config/schema'
import { loadConfig } from '../config/load'
import { pathsFor, resolveHome, type Paths } from '../config/paths'
import { DNS_QUERY_TIMEOUT_MS, DNS_TRIES } from '../config/timeouts'
import { createDirectDeliverer } from '../delivery/direct'
import { createRouter } from '../delivery/router'
import { validateRoutes } from '../delivery/routes'
import type { Deliverer } from '../delivery/types'
import { createResolver, type MailResolver } from '../dns/resolver'
import { runQueueOp, startControlServer } from '../ipc/control'
import { createDispatcher, type Dispatch } from '../ipc/dispatch'
import { EventHub } from '../ipc/events'
import { createLogger, type Logger } from '../log/logger'
import { loadLocalDomains } from '../local/domains'
import { createNotifier } from '../notices/notifier'
import { createRouteChecker } from '../preflight/checker'
import { QueueService, queueOptionsFromSettings } from '../queue/service'
import { createSentCopies } from '../sent/copies'
import { sentAccountFor } from '../sent/match'
import { AppError } from '../../shared/result'
import { defaultSecretStore, type SecretStore } from '../accounts/secrets'
import { accountPassword, findAccount } from '../accounts/credentials'
import { accountRouteFor } from '../accounts/route'
import { withAccountPasswords } from '../accounts/sent-appender'
import { createImapAppender } from '../sent/imap-appender'
import { systemClock, type Clock } from './clock'
import { createCoreHandlers } from './handlers'
import type { AppMode, Section, SectionContext } from './section'
import { createAccountsSection } from './section-accounts'
import { createDraftsSection } from './section-drafts'
import { createListenerSection } from './section-listener'
import { createMailSection } from './section-mail'
import { createRulesSection } from './section-rules'

export interface AppOptions {
  mode: AppMode
  /** MAILROOM_HOME; default from the environment. */
  home?: string
  clock?: Clock
  /** Injected DNS (tests); default: node:dns with config.dns.servers. */
  resolver?: MailResolver
  /** Injected delivery (tests); default: direct MX delivery. */
  deliverer?: Deliverer
  /** Mirror log lines to stderr (daemon in the foreground, -v). */
  logToStderr?: boolean
  /** Account passwords; default the 0600 file store MAILROOM_HOME/secrets.json (Electron passes the keychain store). */
  secrets?: SecretStore
  /** Opens a file with the desktop's default program (Electron's shell.openPath); absent in browser mode and the CLI. */
  openPath?: (path: string) => Promise<boolean>
}

export interface App {
  paths: Paths
  config: Config
  log: Logger
  events: EventHub
  queue: QueueService
  dispatch: Dispatch
  /** Take the queue-runner role (lock), start the scheduler and the control socket. */
  startRunner(): Promise<boolean>
  /** Where the loopback SMTP listener listens (empty when it is off, not started or could not start). */
  listenerAddresses(): Array<{ host: string; port: number }>
  close(): Promise<void>
}

export async function createApp(options: AppOptions): Promise<App> {
  const paths = pathsFor(options.home ?? resolveHome())
  const config = await loadConfig(paths.config)
  validateRoutes(config, paths.config)
  await mkdir(paths.run, { recursive: true, mode: 0o700 })
  const clock = options.clock ?? systemClock
  const log = createLogger({ file: paths.maillog, stderr: options.logToStderr === true, now: () => clock.now() })
  const resolver = options.resolver ?? createResolver({ servers: config.dns.servers, timeoutMs: DNS_QUERY_TIMEOUT_MS, tries: DNS_TRIES })
  const localDomains = await loadLocalDomains(config, paths.etc)
  const secrets = options.secrets ?? defaultSecretStore(paths.home)
  const credentials = { config, paths, secrets }
  const deliverer = options.deliverer ?? createRouter({
    accountRoute: (sender) => accountRouteFor(config, sender),
    accountPassword: (accountId) => accountPassword(credentials, findAccount(config, accountId)),
    config, localDomains, mailRoot: paths.mail, resolver, log, paths, enqueue: (input) => queueRef === null ? Promise.reject(new AppError('SPOOL_IO', 'the queue is not open yet')) : queueRef.submit(input),
    direct: createDirectDeliverer({ resolver, hostname: config.hostname, allowLoopback: config.dns.allowLoopback, addressOrder: config.dns.addressOrder, log })
  })
  // The notifier queues notices to remote senders through the queue, which needs the notifier: bound late.
  let queueRef: QueueService | null = null
  const notifier = createNotifier({
    hostname: config.hostname,
    localDomains,
    mailRoot: paths.mail,
    enqueue: (input) => queueRef === null ? Promise.reject(new AppError('SPOOL_IO', 'the queue is not open yet')) : queueRef.submit(input),
    log,
    clock
  })
  // Copies of sent mail for IMAP accounts' Sent mailboxes: handed over before the queue removes a message.
  const sentCopies = createSentCopies({ spoolDir: paths.spool, config, log, clock, appender: withAccountPasswords(createImapAppender(), credentials) })
  const queue = await QueueService.open({
    spoolDir: paths.spool, lockFile: paths.queueLock, deliverer, clock, log, notifier, ...queueOptionsFromSettings(config.queue),
    onFinished: (envelope, dataPath) => sentCopies.onFinished(envelope, dataPath),
    wantsFinished: (envelope) => sentAccountFor(envelope, config) !== null
  })
  queueRef = queue
  const events = new EventHub()
  queue.onChange((message) => events.emit('outbox.changed', message))
  queue.onRemoved((id) => events.emit('outbox.removed', { id }))
  queue.onStatus((status) => events.emit('queue.status', status))
  const checkRoute = createRouteChecker({ config, resolver, log })
  const context: SectionContext = { mode: options.mode, paths, config, log, events, clock, queue, resolver, localDomains, secrets }
  const accounts = createAccountsSection(context)
  const mail = createMailSection(context, options.openPath === undefined ? {} : { openPath: options.openPath })
  const drafts = createDraftsSection(context)
  const rules = createRulesSection(context)
  const listener = createListenerSection(context)
  const sections: Section<never>[] = [accounts, mail, drafts, rules, listener] as unknown as Section<never>[]
  const dispatch = createDispatcher({
    ...createCoreHandlers({ mode: options.mode, config, queue, clock, maillog: paths.maillog, checkRoute, deleteDraft: (id) => drafts.deleteDraft(id) }),
    ...accounts.handlers,
    ...mail.handlers,
    ...drafts.handlers,
    ...rules.handlers
  }, log)

  let control: { close(): Promise<void> } | null = null

  return {
    listenerAddresses: () => listener.addresses(),
    paths,
    config,
    log,
    events,
    queue,
    dispatch,
    async startRunner() {
      const runner = await queue.becomeRunner()
      if (runner) {
        queue.startScheduler()
        await sentCopies.start()
        control = await startControlServer(paths.controlSocket, async (command, request) => {
          if (command === 'kick') return void queue.kick()
          if (command === 'flush') return queue.flush()
          if (command === 'op') return runQueueOp(queue, request)
          return { pid: process.pid }
        }, log)
        log.info('queue', `queue runner started (pid ${process.pid}, mode ${options.mode})`)
      } else {
        log.warn('queue', 'another process delivers this queue; this one only submits')
      }
      for (const section of sections) await section.start?.({ runner })
      return runner
    },
    async close() {
      await control?.close()
      for (const section of [...sections].reverse()) await section.close?.()
      await queue.close()
      await sentCopies.close()
      await deliverer.close()
    }
  }
}
