// `mailroom mailq` / `sendmail -bp`: the queue in Postfix's shape, or as a JSON array with --json.
// Reads the spool's summary journal cross-checked with the directory names (Spool.summaries: envelopes are read
// only for what the journal does not know) and writes in 64 kB chunks.
import type { Writable } from 'node:stream'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { pathsFor, resolveHome, type Paths } from '../config/paths'
import { createLogger } from '../log/logger'
import { systemClock } from '../app/clock'
import type { OutboxMessage } from '../../shared/contract'
import { formatMailqEntry, formatTotal, isQueued, MAILQ_EMPTY, MAILQ_HEADER } from './mailq-format'

const CHUNK_BYTES = 64 * 1024

/** Collects text and writes it in chunks, waiting for the stream to drain (a slow pipe never makes us buffer the queue). */
export class ChunkedWriter {
  private buffer = ''
  constructor(private readonly out: Writable) {}

  async write(text: string): Promise<void> {
    this.buffer += text
    if (this.buffer.length >= CHUNK_BYTES) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return
    const text = this.buffer
    this.buffer = ''
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once('drain', resolve))
  }
}

/** The outbox messages of a spool directory in id (= arrival) order, from the spool's summary journal (queue/journal.ts). */
export async function* scanQueue(paths: Pick<Paths, 'spool' | 'maillog'>): AsyncGenerator<OutboxMessage> {
  const { Spool } = await import('../queue/spool')
  const spool = await Spool.open(paths.spool, { clock: systemClock, log: createLogger({ file: paths.maillog }), recover: false })
  for await (const batch of spool.summaryBatches()) yield* batch
}

/** Writes the listing of `messages` to `out`; returns the number of messages listed. */
export async function writeMailq(messages: AsyncIterable<OutboxMessage>, out: Writable, options: { json: boolean; now: number }): Promise<number> {
  const writer = new ChunkedWriter(out)
  let count = 0
  let bytes = 0
  if (options.json) await writer.write('[')
  for await (const message of messages) {
    if (!isQueued(message)) continue
    if (options.json) await writer.write((count === 0 ? '\n' : ',\n') + JSON.stringify(message))
    else await writer.write((count === 0 ? MAILQ_HEADER : '\n') + formatMailqEntry(message, options.now))
    count += 1
    bytes += message.size
  }
  if (options.json) await writer.write(count === 0 ? ']\n' : '\n]\n')
  else await writer.write(count === 0 ? MAILQ_EMPTY : formatTotal(bytes, count))
  await writer.flush()
  return count
}

export async function runMailq(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json')
  const unknown = argv.filter((a) => a !== '--json')
  if (unknown.length > 0) throw new AppError('INVALID_ARGUMENT', `unknown option ${unknown[0] as string} (usage: mailroom mailq [--json])`)
  const paths = pathsFor(resolveHome())
  await writeMailq(scanQueue(paths), process.stdout, { json, now: systemClock.now() })
  return EX.OK
}
