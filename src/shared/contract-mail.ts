// IPC contract, reading section: folders, message lists, the reader, search, flags/moves, attachments, drafts, sync events.
import { z } from 'zod'
import { emailAddress } from './contract-base'

const accountId = z.string().min(1).max(64)
const mailbox = z.string().min(1).max(1000)
const uid = z.number().int().min(1)
const uids = z.array(uid).min(1).max(10_000)

/** RFC 6154 special-use roles (and INBOX). */
export const folderRole = z.enum(['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged'])
export type FolderRole = z.infer<typeof folderRole>

export const folderInfo = z.object({
  /** Full IMAP path (Maildir++ folder for the Local account); the id used by every other call. */
  path: z.string(),
  name: z.string(),
  parent: z.string().nullable(),
  delimiter: z.string().nullable(),
  role: folderRole.nullable(),
  /** False for \Noselect containers. */
  selectable: z.boolean(),
  total: z.number().int(),
  unread: z.number().int()
})
export type FolderInfo = z.infer<typeof folderInfo>

export const messageSummary = z.object({
  uid: z.number().int(),
  subject: z.string(),
  /** Display form of From ("Name <addr>" or addr). */
  from: z.string(),
  /** Bare address of From, for per-sender decisions (remote content, vacation). */
  fromAddress: z.string().optional(),
  to: z.array(z.string()).optional(),
  date: z.number().nullable(),
  seen: z.boolean(),
  flagged: z.boolean().optional(),
  answered: z.boolean().optional(),
  size: z.number().int(),
  hasAttachments: z.boolean().optional(),
  /** The first ~200 characters of the text, when cached. */
  preview: z.string().optional(),
  messageId: z.string().nullable().optional(),
  /** Messages of one conversation share a threadId (References/In-Reply-To, then subject). */
  threadId: z.string().optional(),
  /** Set on search results that span mailboxes. */
  mailbox: z.string().optional()
})
export type MessageSummary = z.infer<typeof messageSummary>

export const attachmentInfo = z.object({
  /** Opaque id for mail.attachment.save/open (the MIME part number or index). */
  id: z.string().optional(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  /** Content-ID without <>, for cid: images in the HTML part. */
  contentId: z.string().optional(),
  inline: z.boolean().optional()
})
export type AttachmentInfo = z.infer<typeof attachmentInfo>

/** A delivery status notification (multipart/report; report-type=delivery-status), parsed for the bounce card. */
export const deliveryReport = z.object({
  kind: z.enum(['failure', 'delay', 'other']),
  recipients: z.array(z.object({
    address: z.string(),
    action: z.string(),
    status: z.string(),
    diagnostic: z.string().optional(),
    remoteMta: z.string().optional()
  })),
  /** The returned original: text is null when only its headers came back. */
  original: z.object({ subject: z.string(), to: z.array(z.string()), cc: z.array(z.string()), text: z.string().nullable() })
})
export type DeliveryReport = z.infer<typeof deliveryReport>

export const messageView = z.object({
  uid: z.number().int(),
  subject: z.string(),
  from: z.string(),
  fromAddress: z.string().optional(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  replyTo: z.array(z.string()).optional(),
  date: z.number().nullable(),
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable().optional(),
  references: z.array(z.string()).optional(),
  text: z.string(),
  /** The HTML part as sent (NOT sanitised: the renderer sanitises it with DOMPurify and shows it in a sandboxed iframe). */
  html: z.string().nullable().optional(),
  /** cid → data: URL of small inline images (cid: references in html). */
  inlineImages: z.record(z.string(), z.string()).optional(),
  /** True when the user allowed remote content for this sender. */
  remoteContentAllowed: z.boolean().optional(),
  attachments: z.array(attachmentInfo),
  seen: z.boolean().optional(),
  flagged: z.boolean().optional(),
  /** Parsing limits that were hit (size, depth, charset), in words; the message is shown as far as it could be read. */
  problems: z.array(z.string()).optional(),
  /** Present when the message is a delivery status notification. */
  report: deliveryReport.optional()
})
export type MessageView = z.infer<typeof messageView>

export const messageFlag = z.enum(['\\Seen', '\\Flagged', '\\Answered', '\\Deleted', '\\Draft'])
export type MessageFlag = z.infer<typeof messageFlag>

export const draft = z.object({
  id: z.string(),
  accountId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  updatedAt: z.number()
})
export type Draft = z.infer<typeof draft>

export const mailCalls = {
  /** The folder tree with roles and counts (from the cache; a sync refreshes it). */
  'mail.folders': { args: z.object({ accountId }).strict(), result: z.array(folderInfo) },
  /** Newest first; offset/limit page through the folder (total is in mail.folders). */
  'mail.list': {
    args: z.object({
      accountId,
      mailbox: mailbox.default('INBOX'),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(2000).default(100)
    }).strict(),
    result: z.array(messageSummary)
  },
  'mail.read': {
    args: z.object({ accountId, mailbox: mailbox.default('INBOX'), uid }).strict(),
    result: messageView
  },
  /**
   * Search: `from:`, `to:`, `subject:`, `has:attachment`, `is:unread`, `before:`/`after:` dates and free words.
   * scope local: the cache's full-text index, at once; scope server: IMAP SEARCH for what is not cached.
   */
  'mail.search': {
    args: z.object({
      accountId,
      mailbox: mailbox.nullable().default(null),
      query: z.string().max(1000),
      scope: z.enum(['local', 'server']).default('local'),
      limit: z.number().int().min(1).max(1000).default(200)
    }).strict(),
    result: z.object({ messages: z.array(messageSummary), scope: z.enum(['local', 'server']) })
  },
  /** Optimistic: applied to the cache at once, sent to the server now or replayed when back online. */
  'mail.setFlags': {
    args: z.object({ accountId, mailbox, uids, add: z.array(messageFlag).default([]), remove: z.array(messageFlag).default([]) }).strict(),
    result: z.object({ pending: z.boolean() })
  },
  'mail.move': { args: z.object({ accountId, mailbox, uids, target: mailbox }).strict(), result: z.object({ pending: z.boolean() }) },
  /** Moves to the Trash folder; in the Trash itself, deletes for good. */
  'mail.delete': { args: z.object({ accountId, mailbox, uids }).strict(), result: z.object({ pending: z.boolean() }) },
  /** Ask for a sync now (new mail, folder list). */
  'mail.sync': { args: z.object({ accountId, mailbox: mailbox.optional() }).strict(), result: z.object({ started: z.boolean() }) },
  /** Save an attachment to a file (default: the Downloads folder), streamed, never whole in memory. */
  'mail.attachment.save': {
    args: z.object({ accountId, mailbox, uid, attachmentId: z.string().min(1).max(200), path: z.string().max(4096).optional() }).strict(),
    result: z.object({ path: z.string(), size: z.number().int() })
  },
  /** Save to a private temporary file and open it with the desktop's default program (Electron only; browser mode returns the path). */
  'mail.attachment.open': {
    args: z.object({ accountId, mailbox, uid, attachmentId: z.string().min(1).max(200) }).strict(),
    result: z.object({ path: z.string(), opened: z.boolean() })
  },
  /** Always load remote content for this sender (remembered). */
  'mail.allowRemoteContent': { args: z.object({ sender: emailAddress }).strict(), result: z.object({ allowed: z.literal(true) }) },
  /** Drafts: kept locally at once, and copied to the account's Drafts mailbox (replacing the previous copy). */
  'drafts.save': {
    args: z.object({
      id: z.string().max(64).optional(),
      accountId,
      from: z.string().max(998),
      to: z.array(z.string().max(998)).max(1000).default([]),
      cc: z.array(z.string().max(998)).max(1000).default([]),
      bcc: z.array(z.string().max(998)).max(1000).default([]),
      subject: z.string().max(998).default(''),
      text: z.string().max(25 * 1024 * 1024).default(''),
      inReplyTo: z.string().max(998).nullable().default(null),
      references: z.array(z.string().max(998)).max(200).default([])
    }).strict(),
    result: draft
  },
  'drafts.list': { args: z.object({}).strict(), result: z.array(draft) },
  'drafts.delete': { args: z.object({ id: z.string().min(1).max(64) }).strict(), result: z.object({ deleted: z.boolean() }) }
} as const

export const mailEvents = {
  /** Sync progress of one account (headers fetched so far, newest first). */
  'mail.syncProgress': z.object({
    accountId: z.string(),
    mailbox: z.string().nullable(),
    phase: z.enum(['connecting', 'folders', 'headers', 'idle', 'offline', 'error']),
    done: z.number().int(),
    total: z.number().int(),
    message: z.string().optional()
  }),
  /** Something in this mailbox changed (new, expunged, flags): lists should refresh. */
  'mail.changed': z.object({ accountId: z.string(), mailbox: z.string() }),
  /** New mail arrived (for notifications and unread counts). */
  'mail.newMail': z.object({
    accountId: z.string(),
    mailbox: z.string(),
    messages: z.array(z.object({ uid: z.number().int(), from: z.string(), subject: z.string() }))
  }),
  /** Connection state of an account and how many offline changes wait to be replayed. */
  'account.status': z.object({
    accountId: z.string(),
    state: z.enum(['online', 'connecting', 'offline', 'error']),
    message: z.string().optional(),
    pendingChanges: z.number().int()
  })
} as const
