// Conversations in the message list: messages sharing a threadId grouped under their newest one, flattened into rows.
import type { MessageSummary } from '@shared/contract'

export interface ListRow {
  /** Unique per row: the uid (with the mailbox for cross-mailbox search results). */
  key: string
  message: MessageSummary
  /** 0: a thread's head (or a lone message); 1: an older message of an expanded thread. */
  depth: 0 | 1
  /** On heads: how many messages the thread has (1 for a lone message). */
  count: number
  /** On heads: unread messages in the thread. */
  unread: number
  threadKey: string
}

export const rowKey = (m: MessageSummary): string => (m.mailbox === undefined ? String(m.uid) : `${m.mailbox}\u0000${m.uid}`)

/** Newest first; undated last. */
export const newestFirst = (a: MessageSummary, b: MessageSummary): number => (b.date ?? -Infinity) - (a.date ?? -Infinity) || b.uid - a.uid

/**
 * One head row per thread (its newest message), threads ordered by their newest message; the members of threads in
 * `expanded` follow their head, newest first. Without threadId every message is its own thread.
 */
export function threadRows(messages: readonly MessageSummary[], expanded: ReadonlySet<string>, threaded = true): ListRow[] {
  const groups = new Map<string, MessageSummary[]>()
  for (const m of [...messages].sort(newestFirst)) {
    const key = threaded && m.threadId ? `t:${m.threadId}` : `m:${rowKey(m)}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [m])
    else group.push(m)
  }
  const rows: ListRow[] = []
  for (const [threadKey, group] of groups) {
    const head = group[0] as MessageSummary
    rows.push({ key: rowKey(head), message: head, depth: 0, count: group.length, unread: group.filter((m) => !m.seen).length, threadKey })
    if (group.length > 1 && expanded.has(threadKey)) {
      for (const m of group.slice(1)) rows.push({ key: rowKey(m), message: m, depth: 1, count: 1, unread: m.seen ? 0 : 1, threadKey })
    }
  }
  return rows
}
