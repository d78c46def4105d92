// Shared pieces of the listener, local-delivery and sync benchmarks: test messages, file counting, bounded waits,
// a deliverer that holds every delivery (so nothing competes with what is measured), and "not measured" rows.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Deliverer, DeliveryRequest, RecipientOutcome } from '../../src/main/delivery/types'

/** A message of about `size` bytes with CRLF line ends (what the spool stores and smtp-source sends). */
export function sizedMessage(i: number, size: number, from: string, to: string): Buffer {
  const head = `From: ${from}\r\nTo: ${to}\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@bench.test>\r\n` +
    `Date: ${new Date(Date.UTC(2026, 10, 25, 12, 0, 0)).toUTCString()}\r\n\r\n`
  const line = `${'x'.repeat(76)}\r\n`
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))))
}

/** Entries directly in `dir` (0 when it does not exist). */
export async function countEntries(dir: string): Promise<number> {
  return (await readdir(dir).catch(() => [] as string[])).length
}

/** Files anywhere below `dir` (Postfix's hashed queue directories). */
export async function countFilesDeep(dir: string): Promise<number> {
  let count = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    count += entry.isDirectory() ? await countFilesDeep(join(dir, entry.name)) : 1
  }
  return count
}

/**
 * Polls `count()` every `intervalMs` until it reaches `wanted` or `maxSeconds` pass. Returns the seconds from `start`
 * (process.hrtime.bigint()) to the poll that saw it, and how many there were then.
 */
export async function waitForCount(count: () => Promise<number>, wanted: number, start: bigint, maxSeconds: number, intervalMs = 20): Promise<{ seconds: number; reached: number; complete: boolean }> {
  const deadline = Date.now() + maxSeconds * 1000
  for (;;) {
    const reached = await count()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (reached >= wanted) return { seconds, reached, complete: true }
    if (Date.now() >= deadline) return { seconds, reached, complete: false }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/**
 * A deliverer that never finishes a delivery until release(): the queue hands it the first messages and then waits,
 * so the benchmark measures accepting mail only. release() answers everything held with a temporary failure.
 */
export function holdingDeliverer(): Deliverer & { release(): void; held(): number } {
  const waiting: Array<{ request: DeliveryRequest; resolve: (outcomes: RecipientOutcome[]) => void }> = []
  let released = false
  const answer = (request: DeliveryRequest): RecipientOutcome[] =>
    request.recipients.map((recipient) => ({ recipient, status: 'deferred', reply: { code: 451, text: '4.3.0 held by the benchmark' } }))
  return {
    deliver: (request) => released ? Promise.resolve(answer(request)) : new Promise((resolve) => waiting.push({ request, resolve })),
    held: () => waiting.length,
    release() {
      released = true
      for (const { request, resolve } of waiting.splice(0)) resolve(answer(request))
    },
    close: async () => undefined
  }
}

/** A throwaway MAILROOM_HOME with config.json = the given object. */
export async function homeWithConfig(config: Record<string, unknown>, prefix = 'mailroom-bench-'): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), prefix))
  await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2))
  return home
}

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** One printed row: label, value column, and a note. */
export function line(label: string, value: string, note = ''): string {
  return `${label.padEnd(74)} ${value.padStart(14)}  ${note}`.trimEnd()
}

export function notMeasured(label: string, reason: string): string {
  return `${label.padEnd(74)} not measured: ${reason}`
}
