// The typed IPC contract: every call (argument and result schema) and every pushed event, for both transports.
import { z } from 'zod'
import { checkAddress } from './address'

export const emailAddress = z.string().trim().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid address: ${check.reason}` })
})

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
  state: recipientState,
  attempts: z.number().int(),
  lastReply: smtpReply.nullable(),
  nextAttemptAt: z.number().nullable()
})

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
  recipients: z.array(outboxRecipient)
})
export type OutboxMessage = z.infer<typeof outboxMessage>

export const accountSummary = z.object({ id: z.string(), email: z.string(), name: z.string().optional() })
export type AccountSummary = z.infer<typeof accountSummary>

export const messageSummary = z.object({
  uid: z.number().int(),
  subject: z.string(),
  from: z.string(),
  date: z.number().nullable(),
  seen: z.boolean(),
  size: z.number().int()
})
export type MessageSummary = z.infer<typeof messageSummary>

export const attachmentInfo = z.object({ filename: z.string(), contentType: z.string(), size: z.number().int() })

export const messageView = z.object({
  uid: z.number().int(),
  subject: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  date: z.number().nullable(),
  messageId: z.string().nullable(),
  text: z.string(),
  attachments: z.array(attachmentInfo)
})
export type MessageView = z.infer<typeof messageView>

const empty = z.object({}).strict()

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
      text: z.string().max(25 * 1024 * 1024)
    }).strict(),
    result: z.object({ id: z.string() })
  },
  'outbox.list': { args: empty, result: z.array(outboxMessage) },
  'accounts.list': { args: empty, result: z.array(accountSummary) },
  'mail.list': {
    args: z.object({
      accountId: z.string().min(1),
      mailbox: z.string().min(1).default('INBOX'),
      limit: z.number().int().min(1).max(500).default(100)
    }).strict(),
    result: z.array(messageSummary)
  },
  'mail.read': {
    args: z.object({ accountId: z.string().min(1), mailbox: z.string().min(1).default('INBOX'), uid: z.number().int().min(1) }).strict(),
    result: messageView
  }
} as const

export const events = {
  /** A message in the outbox changed state (or finished: state sent/failed). */
  'outbox.changed': outboxMessage
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
