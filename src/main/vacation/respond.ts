// The work of `mailroom vacation USER` for one incoming message: load the rule, decide, and (under the reply
// database's lock) queue the reply from <> and record the sender. Kept apart from the CLI so tests drive it in-process.
import { userInfo } from 'node:os'
import { AppError } from '../../shared/result'
import { systemClock } from '../app/clock'
import type { Paths } from '../config/paths'
import type { Logger } from '../log/logger'
import { shouldReply, type Decision } from './decide'
import { bareAddress, firstHeader, readHeaders } from './message-headers'
import { replyDbPath, withReplyDb } from './reply-db'
import { defaultUserAddresses, loadVacationRule } from './rule'

const DAY_MS = 24 * 60 * 60 * 1000

export interface RespondInput {
  paths: Paths
  user: string
  raw: Buffer
  /** The envelope sender as Postfix local(8) passes it ($SENDER; '' for <>); undefined: taken from Return-Path, else From. */
  sender: string | undefined
  now: number
  /** -d: reply interval in days (overrides the rule's). */
  days?: number
  /** -a: more addresses of the user. */
  extraAddresses?: readonly string[]
  log: Logger
}

export type RespondOutcome =
  | { replied: false; reason: Decision['reason'] | 'no-rule'; detail: string }
  | { replied: true; reason: 'reply'; detail: string; queueId: string; to: string }

/** Where the reply goes when $SENDER is not set: the Return-Path (RFC 3834 §4), else the From. */
function senderFromMessage(headers: ReturnType<typeof readHeaders>): string {
  const returnPath = firstHeader(headers, 'Return-Path')
  if (returnPath !== undefined) return bareAddress(returnPath)
  const from = firstHeader(headers, 'From')
  return from === undefined ? '' : bareAddress(from)
}

export async function respondToMessage(input: RespondInput): Promise<RespondOutcome> {
  const { paths, user, log } = input
  const rule = await loadVacationRule(paths, user)
  if (rule === null) {
    const detail = `no out-of-office rule for ${user} (${paths.etc}/vacation/${user}.json)`
    log.info('vacation', `${user}: no reply: ${detail}`)
    return { replied: false, reason: 'no-rule', detail }
  }
  if (input.raw.length === 0) throw new AppError('INVALID_MESSAGE', 'no message on standard input')
  const headers = readHeaders(input.raw)
  if (headers.length === 0) throw new AppError('INVALID_MESSAGE', 'the input has no header section; is it a message?')
  const sender = input.sender ?? senderFromMessage(headers)

  const { loadConfig } = await import('../config/load')
  const config = await loadConfig(paths.config)
  const addresses = [
    ...defaultUserAddresses({
      user, hostname: config.hostname, localDomains: config.localDomains, localUsers: config.local.users,
      accountEmails: config.accounts.flatMap((a) => [a.email, ...(a.identities ?? []).map((i) => i.email)]), isSelf: user === userInfo().username
    }),
    ...rule.addresses,
    ...(input.extraAddresses ?? [])
  ]
  const days = input.days ?? rule.days
  const decisionRule = { enabled: rule.enabled, days, startsAt: rule.startsAt, endsAt: rule.endsAt, addresses }

  return withReplyDb(replyDbPath(paths, user), days * DAY_MS, async (db) => {
    for (const warning of db.warnings) log.warn('vacation', `${user}: ${warning}`)
    const decision = shouldReply(headers, sender, decisionRule, input.now, db)
    if (!decision.reply) {
      log.info('vacation', `${user}: from=<${sender}>, status=no reply (${decision.reason}: ${decision.detail})`)
      return { replied: false, reason: decision.reason, detail: decision.detail }
    }
    const { composeReply } = await import('./compose-reply')
    const prepared = await composeReply({
      original: headers, to: sender, from: rule.from ?? decision.matchedAddress ?? `${user}@${config.hostname}`,
      subject: rule.subject, body: rule.body, hostname: config.hostname, now: input.now
    })
    const { Spool } = await import('../queue/spool')
    const spool = await Spool.open(paths.spool, { clock: { ...systemClock, now: () => input.now }, log, recover: false, limits: config.queue })
    const envelope = await spool.enqueue({
      data: prepared.data, sender: '', recipients: prepared.recipients.map((address) => ({ address })),
      origin: 'cli', messageId: prepared.messageId, subject: prepared.subject
    })
    // Recorded only once the reply is durable: a failed enqueue leaves the sender unanswered, to be tried next time.
    db.record(decision.senderKey, input.now)
    log.info('vacation', `${envelope.id}: from=<>, to=<${sender}>, status=queued (out-of-office reply for ${user}, size=${prepared.data.length})`)
    return { replied: true, reason: 'reply', detail: decision.detail, queueId: envelope.id, to: sender }
  })
}
