// The typed IPC contract: every call (argument and result schema) and every pushed event, for both transports.
import { z } from 'zod'
import { accountCalls, accountEvents } from './contract-accounts'
import { mailCalls, mailEvents } from './contract-mail'
import { rulesCalls, rulesEvents } from './contract-rules'
import { emailAddress, empty } from './contract-base'

export * from './contract-base'
export * from './contract-accounts'
export * from './contract-mail'
export * from './contract-rules'

export const recipientState = z.enum(['pending', 'deferred', 'sent', 'failed', 'held'])
export type RecipientState = z.infer<typeof recipientState>

export const smtpReply = z.object({
  code: z.number().int().optional(),
  enhanced: z.string().optional(),
  text: z.string(),
  host: z.string().optional(),
  /** One sentence a person understands, from the reply classifier. */
  human: z.string().optional()
})
export type SmtpReplyInfo = z.infer<typeof smtpReply>

export const outboxRecipient = z.object({
  address: z.string(),
  /** The recipient as first submitted (before alias/.forward expansion). */
  original: z.string().optional(),
  state: recipientState,
  attempts: z.number().int(),
  lastReply: smtpReply.nullable(),
  nextAttemptAt: z.number().nullable()
})

/** Why a message in hold/ is there: held by the user (hold/release), or frozen (by the user, or by the system for a bounce that cannot be delivered; freeze/thaw). */
export const holdInfo = z.object({
  kind: z.enum(['hold', 'freeze']),
  by: z.enum(['user', 'system']),
  reason: z.string(),
  at: z.number()
})
export type HoldInfo = z.infer<typeof holdInfo>

/** queued/deferred/hold are spool directories; sent/failed are finished messages kept for the view. */
export const outboxState = z.enum(['queued', 'deferred', 'hold', 'sent', 'failed'])
export type OutboxState = z.infer<typeof outboxState>

export const outboxMessage = z.object({
  id: z.string(),
  createdAt: z.number(),
  origin: z.enum(['ui', 'cli', 'listener', 'local']),
  sender: z.string(),
  subject: z.string(),
  size: z.number().int(),
  state: outboxState,
  recipients: z.array(outboxRecipient),
  messageId: z.string().nullable().optional(),
  /** Not before this time (send later, undo send), ms. */
  notBefore: z.number().nullable().optional(),
  hold: holdInfo.nullable().optional()
})
export type OutboxMessage = z.infer<typeof outboxMessage>

const messageRef = z.object({ id: z.string().min(1).max(64) }).strict()

/** The queue's fill level against its limits, and whether delivery is paused because the network is down. */
export const queueStatus = z.object({
  messages: z.number().int(),
  bytes: z.number(),
  queued: z.number().int(),
  deferred: z.number().int(),
  hold: z.number().int(),
  corrupt: z.number().int(),
  limits: z.object({ maxMessages: z.number().int(), maxBytes: z.number(), minFreeDisk: z.number() }),
  freeDisk: z.number().nullable(),
  /** The limit that makes the queue refuse new mail right now, in words; null when it accepts. */
  refusing: z.string().nullable(),
  /** Every recent attempt failed to resolve or connect: delivery waits for the network. */
  offline: z.boolean()
})
export type QueueStatus = z.infer<typeof queueStatus>

/** One maillog line about a message, parsed (log/maillog.ts). */
export const traceEntry = z.object({
  time: z.string(),
  component: z.string(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  text: z.string(),
  fields: z.record(z.string(), z.string()),
  reply: z.string().optional()
})
export type TraceEntry = z.infer<typeof traceEntry>

/** One preflight check and its verdict, with a sentence a person can act on. */
export const routeCheck = z.object({
  id: z.enum(['port25', 'ptr', 'spf', 'smarthost', 'dns']),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'fail', 'skipped']),
  detail: z.string()
})
export const routeCheckReport = z.object({
  sender: z.string(),
  /** The address this machine connects from (as seen locally), when it could be found. */
  localAddress: z.string().nullable(),
  checks: z.array(routeCheck),
  /** 'direct' when direct delivery looks fine, else 'smarthost', with the reason in advice. */
  recommendation: z.enum(['direct', 'smarthost']),
  advice: z.string()
})
export type RouteCheckReport = z.infer<typeof routeCheckReport>

export const calls = {
  'app.info': {
    args: empty,
    result: z.object({
      version: z.string(),
      mode: z.enum(['electron', 'browser']),
      hostname: z.string(),
      defaultFrom: z.string()
    })
  },
  'compose.send': {
    args: z.object({
      from: emailAddress,
      to: z.array(emailAddress).min(1, 'add at least one recipient'),
      cc: z.array(emailAddress).default([]),
      bcc: z.array(emailAddress).default([]),
      subject: z.string().max(998).refine((s) => !/[\r\n]/.test(s), 'the subject cannot contain line breaks'),
      text: z.string().max(25 * 1024 * 1024),
      /** Send later: not before this time (ms since the epoch). */
      sendAt: z.number().int().min(0).nullable().default(null),
      /** Hold the message back for queue.undoSendSeconds so the UI can undo it (ignored with sendAt). */
      undo: z.boolean().default(false),
      /** Replies: the parent's Message-ID, and the References chain (RFC 5322 §3.6.4). */
      inReplyTo: z.string().max(998).nullable().default(null),
      references: z.array(z.string().max(998)).max(200).default([]),
      /** Files picked or dropped in the composer (base64; the total is bounded by the message size limit). */
      attachments: z.array(z.object({
        filename: z.string().min(1).max(255),
        contentType: z.string().max(255).default('application/octet-stream'),
        contentBase64: z.string()
      }).strict()).max(100).default([]),
      /** The draft this message was written in: deleted once the message is queued. */
      draftId: z.string().max(64).nullable().default(null)
    }).strict(),
    /** notBefore: when the message will first be tried (undo deadline or send-later time), null: now. */
    result: z.object({ id: z.string(), notBefore: z.number().nullable() })
  },
  'outbox.list': { args: empty, result: z.array(outboxMessage) },
  'outbox.status': { args: empty, result: queueStatus },
  /** Hold a message: no attempts until released. */
  'outbox.hold': { args: messageRef, result: outboxMessage },
  'outbox.release': { args: messageRef, result: outboxMessage },
  /** Freeze: like hold, and the lifetime clock is stopped; thaw resumes it. */
  'outbox.freeze': { args: messageRef, result: outboxMessage },
  'outbox.thaw': { args: messageRef, result: outboxMessage },
  /** Try every waiting recipient now, ignoring retry times and send-later. */
  'outbox.retry': { args: messageRef, result: outboxMessage },
  /** Remove a message; with notifySender, the sender gets a DSN for the recipients not yet delivered. */
  'outbox.delete': { args: z.object({ id: z.string().min(1).max(64), notifySender: z.boolean().default(false) }).strict(), result: z.object({ id: z.string(), deleted: z.literal(true) }) },
  /** Undo send: removes a message whose undo/send-later time has not come yet; refused once delivery started. */
  'outbox.undo': { args: messageRef, result: z.object({ id: z.string(), deleted: z.literal(true) }) },
  /** The message's maillog lines (every attempt, notice and operation), oldest first. */
  'outbox.trace': { args: messageRef, result: z.array(traceEntry) },
  /** Preflight: can this machine deliver directly (port 25 out, PTR, SPF), or should it use a smart host? */
  'route.check': { args: z.object({ from: emailAddress.optional() }).strict(), result: routeCheckReport },
  /** Replace the recipients of a held message (delivered ones stay as they are). */
  'outbox.editRecipients': { args: z.object({ id: z.string().min(1).max(64), recipients: z.array(emailAddress).min(1, 'keep at least one recipient') }).strict(), result: outboxMessage }
  ,...accountCalls,
  ...mailCalls,
  ...rulesCalls
} as const

export const events = {
  /** A message in the outbox changed state (or finished: state sent/failed). */
  'outbox.changed': outboxMessage,
  /** A message left the queue without being delivered (deleted or undone). */
  'outbox.removed': z.object({ id: z.string() }),
  /** The queue's fill level or online state changed. */
  'queue.status': queueStatus,
  ...accountEvents,
  ...mailEvents,
  ...rulesEvents
} as const

export type CallName = keyof typeof calls
export type EventName = keyof typeof events
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]['args']>
export type CallParsedArgs<N extends CallName> = z.output<(typeof calls)[N]['args']>
export type CallResult<N extends CallName> = z.output<(typeof calls)[N]['result']>
export type EventPayload<N extends EventName> = z.output<(typeof events)[N]>

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name)
}
