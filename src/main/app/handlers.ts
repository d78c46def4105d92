// The IPC handlers: one function per contract call, each a thin step into a service.
import type { Handlers } from '../ipc/dispatch'
import type { Config } from '../config/schema'
import { localAddress } from '../config/identity'
import type { ImapReader } from '../imap/reader'
import type { QueueService } from '../queue/service'
import { composeMessage } from '../submission/compose'
import type { Clock } from './clock'
import { APP_VERSION } from './version'

export type AppMode = 'electron' | 'browser' | 'daemon' | 'cli'

export interface HandlerDeps {
  mode: AppMode
  config: Config
  queue: QueueService
  imap: ImapReader
  clock: Clock
}

export function createHandlers({ mode, config, queue, imap, clock }: HandlerDeps): Handlers {
  return {
    'app.info': async () => ({
      version: APP_VERSION,
      mode: mode === 'electron' ? 'electron' : 'browser',
      hostname: config.hostname,
      defaultFrom: config.accounts[0]?.email ?? localAddress(config)
    }),
    'compose.send': async (input) => {
      const account = config.accounts.find((a) => a.email.toLowerCase() === input.from.toLowerCase())
      const prepared = await composeMessage(input, { hostname: config.hostname, now: clock.now(), ...(account?.name !== undefined ? { fromName: account.name } : {}) })
      return queue.submit({
        data: prepared.data,
        sender: prepared.sender,
        recipients: prepared.recipients.map((address) => ({ address })),
        origin: 'ui',
        messageId: prepared.messageId,
        subject: prepared.subject
      })
    },
    'outbox.list': () => queue.list(),
    'accounts.list': async () => config.accounts.map((a) => ({ id: a.id, email: a.email, ...(a.name !== undefined ? { name: a.name } : {}) })),
    'mail.list': ({ accountId, mailbox, limit }) => imap.list(accountId, mailbox, limit),
    'mail.read': ({ accountId, mailbox, uid }) => imap.read(accountId, mailbox, uid)
  }
}
