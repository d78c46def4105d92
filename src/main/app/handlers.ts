// The IPC handlers: one function per contract call, each a thin step into a service.
import type { Handlers } from '../ipc/dispatch'
import type { Config } from '../config/schema'
import { localAddress } from '../config/identity'
import type { ImapReader } from '../imap/reader'
import { LOCAL_ACCOUNT_ID, type MaildirReader } from '../local/maildir-reader'
import type { QueueService } from '../queue/service'
import { composeMessage } from '../submission/compose'
import type { Clock } from './clock'
import { APP_VERSION } from './version'
import type { RouteCheckReport } from '../../shared/contract'
import { readMessageTrace } from '../log/trace'

export type AppMode = 'electron' | 'browser' | 'daemon' | 'cli'

export interface HandlerDeps {
  mode: AppMode
  config: Config
  queue: QueueService
  imap: ImapReader
  /** The Local account: the user's own Maildir (local/maildir-reader). */
  local: MaildirReader
  clock: Clock
  /** log/maillog, for per-message traces. */
  maillog: string
  /** The preflight (src/main/preflight). */
  checkRoute: (sender: string) => Promise<RouteCheckReport>
}

/** Send later wins; otherwise an undoable send waits undoSendSeconds; null: try at once. */
export function firstAttemptAt(input: { sendAt: number | null; undo: boolean }, undoSendSeconds: number, now: number): number | null {
  if (input.sendAt !== null) return input.sendAt > now ? input.sendAt : null
  return input.undo && undoSendSeconds > 0 ? now + undoSendSeconds * 1000 : null
}

export function createHandlers({ mode, config, queue, imap, local, clock, maillog, checkRoute }: HandlerDeps): Handlers {
  const defaultSender = (): string => config.accounts[0]?.email ?? localAddress(config)
  return {
    'app.info': async () => ({
      version: APP_VERSION,
      mode: mode === 'electron' ? 'electron' : 'browser',
      hostname: config.hostname,
      defaultFrom: defaultSender()
    }),
    'compose.send': async (input) => {
      const account = config.accounts.find((a) => a.email.toLowerCase() === input.from.toLowerCase())
      const now = clock.now()
      const prepared = await composeMessage(input, { hostname: config.hostname, now, ...(account?.name !== undefined ? { fromName: account.name } : {}) })
      return queue.submit({
        data: prepared.data,
        sender: prepared.sender,
        recipients: prepared.recipients.map((address) => ({ address })),
        origin: 'ui',
        messageId: prepared.messageId,
        subject: prepared.subject,
        notBefore: firstAttemptAt(input, config.queue.undoSendSeconds, now)
      })
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
    'route.check': (args) => checkRoute(args.from ?? defaultSender()),
    // IMAP accounts first (the Inbox opens on the first one), then the Local account.
    'accounts.list': async () => [
      ...config.accounts.map((a) => ({ id: a.id, email: a.email, ...(a.name !== undefined ? { name: a.name } : {}) })),
      { id: LOCAL_ACCOUNT_ID, email: localAddress(config), name: 'Local' }
    ],
    'mail.list': ({ accountId, mailbox, limit }) => accountId === LOCAL_ACCOUNT_ID ? local.list(mailbox, limit) : imap.list(accountId, mailbox, limit),
    'mail.read': ({ accountId, mailbox, uid }) => accountId === LOCAL_ACCOUNT_ID ? local.read(mailbox, uid) : imap.read(accountId, mailbox, uid)
  }
}
