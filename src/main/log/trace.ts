// The per-message trace: the maillog lines of one queue id, read by streaming the tail of log/maillog.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { TraceEntry } from '../../shared/contract'
import { parseMaillogLine } from './maillog'

/** Only the newest part of a big maillog is searched: a queued message is at most queue.lifetime old. */
export const TRACE_MAX_BYTES = 64 * 1024 * 1024
/** A message with more lines than this (hundreds of retries) shows its newest ones. */
export const TRACE_MAX_ENTRIES = 500

export async function readMessageTrace(maillog: string, queueId: string, maxBytes = TRACE_MAX_BYTES): Promise<TraceEntry[]> {
  let size: number
  try {
    size = (await stat(maillog)).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const start = Math.max(0, size - maxBytes)
  const lines = createInterface({ input: createReadStream(maillog, { start, encoding: 'utf8' }), crlfDelay: Infinity })
  const entries: TraceEntry[] = []
  let first = start > 0
  for await (const line of lines) {
    // Reading from the middle of the file: the first line is a fragment.
    if (first) {
      first = false
      continue
    }
    if (!line.includes(queueId)) continue
    const entry = parseMaillogLine(line)
    if (entry === null || entry.queueId !== queueId) continue
    entries.push({
      time: entry.time, component: entry.component, level: entry.level, text: entry.text, fields: entry.fields,
      ...(entry.reply !== undefined ? { reply: entry.reply } : {})
    })
    if (entries.length > TRACE_MAX_ENTRIES) entries.shift()
  }
  return entries
}
