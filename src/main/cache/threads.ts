// Thread ids: the root Message-ID of the References chain (then In-Reply-To), else a reply's subject matched
// to an earlier message, else the message's own id; so a reply and its parent agree in whatever order they arrive.
import { createHash } from 'node:crypto'

export interface ThreadInput {
  messageId: string | null
  inReplyTo: string | null
  references: readonly string[]
  subject: string
  /** Fallback identity when there is no Message-ID (e.g. folder + uid). */
  fallbackKey: string
}

const REPLY_PREFIX = /^\s*((re|aw|sv|fw|fwd|wg|tr|rv)(\[\d+\])?\s*:\s*)+/i

/** The subject without Re:/Fwd: prefixes (and their common translations), spaces folded, lower-cased. */
export function subjectKey(subject: string): string {
  return subject.replace(REPLY_PREFIX, '').replace(/\s+/g, ' ').trim().toLowerCase()
}

export function isReplySubject(subject: string): boolean {
  return REPLY_PREFIX.test(subject)
}

/** `<a@b>` → `a@b` (case kept: Message-IDs are case-sensitive on the left). */
export function bareMessageId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const trimmed = value.trim().replace(/^<|>$/g, '').trim()
  return trimmed === '' ? null : trimmed
}

/** All ids in a References header (whitespace and comments tolerated). */
export function parseReferences(value: string | readonly string[] | null | undefined): string[] {
  if (value === null || value === undefined) return []
  const text = typeof value === 'string' ? value : value.join(' ')
  return [...text.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string)
}

function idOf(root: string): string {
  return createHash('sha1').update(root).digest('base64url').slice(0, 16)
}

/**
 * The thread id of a message. `threadOfSubject` looks an earlier message up by subject key (only asked for replies
 * without any reference: mailers that drop References).
 */
export function threadIdFor(input: ThreadInput, threadOfSubject: (key: string) => string | null): string {
  const root = input.references[0] ?? bareMessageId(input.inReplyTo)
  if (root !== null && root !== undefined) return idOf(root)
  if (isReplySubject(input.subject)) {
    const key = subjectKey(input.subject)
    const found = key === '' ? null : threadOfSubject(key)
    if (found !== null) return found
  }
  return idOf(bareMessageId(input.messageId) ?? input.fallbackKey)
}
