// The IPC handlers: one function per contract call, each a thin step into a service.
import type { HandlerSection } from './section'
import type { CallName, accountCalls, mailCalls, rulesCalls } from '../../shared/contract'
import type { Config } from '../config/schema'
import { localAddress } from '../config/identity'
import type { QueueService } from '../queue/service'
import { composeMessage } from '../submission/compose'
import { displayNameFor } from '../accounts/identities'
import type { Clock } from './clock'
import { APP_VERSION } from './version'
import type { RouteCheckReport } from '../../shared/contract'
import { readMessageTrace } from '../log/trace'

export type { AppMode } from './section'
import type { AppMode } from './section'

export interface HandlerDeps {
  mode: AppMode
  config: Config
  queue: QueueService
  clock: Clock
  /** log/maillog, for per-message traces. */
  maillog: string
  /** The preflight (src/main/preflight). */
  checkRoute: (sender: string) => Promise<RouteCheckReport>
  /** Drafts: removes the draft a sent message was written in (section-drafts), after the message is queued. */
  deleteDraft?: (id: string) => Promise<unknown>
}

/** Send later wins; otherwise an undoable send waits undoSendSeconds; null: try at once. */
export function firstAttemptAt(input: { sendAt: number | null; undo: boolean }, undoSendSeconds: number, now: number): number | null {
  if (input.sendAt !== null) return input.sendAt > now ? input.sendAt : null
  return input.undo && undoSendSeconds > 0 ? now + undoSendSeconds * 1000 : null
}

/** The calls of contract.ts itself; the contract-*.ts sections have their own section-*.ts files. */
export type CoreCallName = Exclude<CallName, keyof typeof accountCalls | keyof typeof mailCalls | keyof typeof rulesCalls>

export function createCoreHandlers({ mode, config, queue, clock, maillog, checkRoute, deleteDraft }: HandlerDeps): HandlerSection<CoreCallName> {
  const defaultSender = (): string => config.accounts[0]?.email ?? localAddress(config)
  return {
    'app.info': async () => ({
      version: APP_VERSION,
      mode: mode === 'electron' ? 'electron' : 'browser',
      hostname: config.hostname,
      defaultFrom: defaultSender()
    }),
    'compose.send': async (input) => {
      const now = clock.now()
      const fromName = displayNameFor(config, input.from)
      const prepared = await composeMessage(input, { hostname: config.hostname, now, maxBytes: config.listener.maxMessageSize, ...(fromName !== undefined ? { fromName } : {}) })
      const queued = await queue.submit({
        data: prepared.data,
        sender: prepared.sender,
        recipients: prepared.recipients.map((address) => ({ address })),
        origin: 'ui',
        messageId: prepared.messageId,
        subject: prepared.subject,
        notBefore: firstAttemptAt(input, config.queue.undoSendSeconds, now)
      })
      // The draft goes only once the message is safely queued; failing to delete it loses nothing.
      if (input.draftId !== null && deleteDraft !== undefined) await deleteDraft(input.draftId).catch(() => undefined)
      return queued
    },
    'outbox.list': () => queue.list(),
    'outbox.status': () => queue.status(),
    'outbox.hold': ({ id }) => queue.hold(id),
    'outbox.release': ({ id }) => queue.release(id),
    'outbox.freeze': ({ id }) => queue.freeze(id),
    'outbox.thaw': ({ id }) => queue.thaw(id),
    'outbox.retry': ({ id }) => queue.retryNow(id),
    'outbox.delete': async ({ id, notifySender }) => {
      await queue.remove(id, { notifySender })
      return { id, deleted: true as const }
    },
    'outbox.undo': async ({ id }) => {
      await queue.undo(id)
      return { id, deleted: true as const }
    },
    'outbox.editRecipients': ({ id, recipients }) => queue.editRecipients(id, recipients),
    'outbox.trace': ({ id }) => readMessageTrace(maillog, id),
    'route.check': (args) => checkRoute(args.from ?? defaultSender())
  }
}
