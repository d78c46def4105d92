// Sends delivery status notifications: decides whether one is wanted (NOTIFY), builds it, and routes it to the sender.
// A local sender gets it in their Maildir; a remote one through the spool from <> (never a notice about a notice).
import type { Clock } from '../app/clock'
import type { LocalDomains } from '../local/domains'
import { createMaildirWriter, type MaildirWriter } from '../local/maildir'
import type { Logger } from '../log/logger'
import { isAppError } from '../../shared/result'
import { buildDsn } from './dsn'
import type { NoticeKind, NoticeRequest, NoticeResult, Notifier } from './types'

const COMPONENT = 'bounce'

/** What the notifier hands to the spool for a remote sender; the spool's `enqueue` accepts it as is. */
export interface NoticeEnqueueInput {
  data: Buffer
  sender: ''
  recipients: { address: string }[]
  origin: 'local'
  messageId: string
  subject: string
}

export interface NotifierOptions {
  /** Our host name: Reporting-MTA, MAILER-DAEMON@hostname, Message-ID. */
  hostname: string
  /** Domains delivered on this machine (src/main/local/domains.ts). */
  localDomains: LocalDomains
  /** MAILROOM_HOME/mail: a local sender's notice goes to <mailRoot>/<local part>/Maildir. */
  mailRoot: string
  /** The spool's durable enqueue (resolves once committed). */
  enqueue: (input: NoticeEnqueueInput) => Promise<{ id: string }>
  log: Logger
  /** Only used when a request has no `now`. */
  clock?: Clock
  /** Maildir delivery (tests); default a writer over `mailRoot`. */
  maildir?: MaildirWriter
  /** RET=FULL size limit passed to the DSN builder. */
  maxReturnBytes?: number
}

const LOG_NAMES: Record<NoticeKind, string> = {
  failure: 'sender non-delivery notification',
  delay: 'sender delay notification',
  deleted: 'sender deletion notification'
}

/**
 * Whether the sender asked for this kind of notice (RFC 3461 NOTIFY). No NOTIFY means failure and delay notices;
 * NEVER means none. A deletion by the user is reported like a failure (the recipients will not get the message).
 * Returns the reason when suppressed, null when the notice is wanted.
 */
export function suppressionReason(request: Pick<NoticeRequest, 'kind' | 'envelope'>): string | null {
  const { envelope, kind } = request
  if (envelope.sender === '') return 'the message has the null sender <>'
  const notify = envelope.dsn?.notify
  if (notify === undefined || notify.length === 0) return null
  if (notify.includes('NEVER')) return 'the sender asked for no notices (NOTIFY=NEVER)'
  if (kind === 'delay' && !notify.includes('DELAY')) return `the sender did not ask for delay notices (NOTIFY=${notify.join(',')})`
  if (kind !== 'delay' && !notify.includes('FAILURE')) return `the sender did not ask for failure notices (NOTIFY=${notify.join(',')})`
  return null
}

/** The mailbox user for a local address: its local part, lower-cased (mailbox names are case-insensitive here). */
export function localMailboxUser(address: string): string {
  const at = address.lastIndexOf('@')
  return (at === -1 ? address : address.slice(0, at)).toLowerCase()
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@')
  return at === -1 ? null : address.slice(at + 1)
}

export function createNotifier(options: NotifierOptions): Notifier {
  const maildir = options.maildir ?? createMaildirWriter({ mailRoot: options.mailRoot, hostname: options.hostname })
  const log = options.log

  return {
    async send(request) {
      const env = request.envelope
      const sender = env.sender
      const reason = request.recipients.length === 0 ? 'there are no recipients to report' : suppressionReason(request)
      if (reason !== null) {
        log.info(COMPONENT, `${env.id}: no ${request.kind} notice to <${sender}>: ${reason}`)
        return { status: 'suppressed', reason }
      }
      const now = Number.isFinite(request.now) ? request.now : (options.clock?.now() ?? Date.now())
      const notice = buildDsn({
        kind: request.kind, hostname: options.hostname, envelope: env, recipients: request.recipients, data: request.data, now,
        ...(options.maxReturnBytes === undefined ? {} : { maxReturnBytes: options.maxReturnBytes })
      })
      const domain = domainOf(sender)
      // A sender without a domain (bare user name) is a local user, as sendmail treats it.
      if (domain === null || options.localDomains.has(domain)) {
        return deliverLocally(request, notice.data, sender)
      }
      const queued = await options.enqueue({
        data: notice.data, sender: '', recipients: [{ address: sender }], origin: 'local', messageId: notice.messageId, subject: notice.subject
      })
      log.info(COMPONENT, `${env.id}: ${LOG_NAMES[request.kind]}: ${queued.id} (to <${sender}>, ${request.recipients.length} recipient${request.recipients.length === 1 ? '' : 's'})`)
      return { status: 'queued', id: queued.id }
    }
  }

  async function deliverLocally(request: NoticeRequest, data: Buffer, sender: string): Promise<NoticeResult> {
    const env = request.envelope
    const user = localMailboxUser(sender)
    let path: string
    try {
      path = await maildir.deliver(user, data, { returnPath: '', deliveredTo: sender })
    } catch (error) {
      // A sender whose local part can never be a mailbox cannot get a notice: say so instead of retrying for ever.
      if (isAppError(error) && error.code === 'INVALID_ADDRESS') {
        const reason = `the sender <${sender}> has no valid local mailbox: ${error.message}`
        log.warn(COMPONENT, `${env.id}: no ${request.kind} notice: ${reason}`)
        return { status: 'suppressed', reason }
      }
      log.error(COMPONENT, `${env.id}: ${LOG_NAMES[request.kind]} to <${sender}> could not be delivered: ${(error as Error).message}`)
      throw error
    }
    log.info(COMPONENT, `${env.id}: ${LOG_NAMES[request.kind]}: delivered to maildir ${path} (to <${sender}>)`)
    return { status: 'local', path }
  }
}
