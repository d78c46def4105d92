// mailq streams: output leaves in chunks while the queue is still being read, and memory does not grow with the queue.
// Rough, bounded checks only (no timings): 20k envelopes seeded through the spool API in a temp dir.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { link, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanQueue, writeMailq } from '../../../src/main/cli/mailq'
import { pathsFor, type Paths } from '../../../src/main/config/paths'
import { memoryLogger } from '../../../src/main/log/logger'
import { serializeEnvelope, type Envelope } from '../../../src/main/queue/envelope'
import { newQueueId } from '../../../src/main/queue/ids'
import { Spool } from '../../../src/main/queue/spool'
import type { OutboxMessage } from '../../../src/shared/contract'

const SEEDED = 20_000

/** A sink that counts bytes and remembers the first and last bytes it saw. */
function sink(): Writable & { bytes: number; text: () => string; writes: number } {
  let head = ''
  let tail = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const s = chunk.toString()
      if (head.length < 4096) head += s.slice(0, 4096 - head.length)
      tail = (tail + s).slice(-4096)
      result.bytes += chunk.length
      result.writes += 1
      done()
    }
  }) as Writable & { bytes: number; text: () => string; writes: number }
  const result = stream
  result.bytes = 0
  result.writes = 0
  result.text = () => head + '\n…\n' + tail
  return result
}

function synthetic(i: number, recipients: number): OutboxMessage {
  return {
    id: newQueueId(1_700_000_000_000 + i), createdAt: 1_700_000_000_000 + i, origin: 'cli', sender: 'alice@mailroom.test', subject: 'x', size: 4000, state: 'deferred',
    recipients: Array.from({ length: recipients }, (_, r) => ({
      address: `user${r}@remote${r % 7}.test`, state: 'deferred' as const, attempts: 3, nextAttemptAt: null,
      lastReply: { code: 450, enhanced: '4.2.0', text: `450 4.2.0 mailbox busy, try again later (${r})` }
    }))
  }
}

describe('mailq streaming', () => {
  it('writes output while the messages are still being produced (nothing waits for the whole queue)', async () => {
    const out = sink()
    let producedWhenFirstWrite = -1
    const probe = new Writable({ write: (c: Buffer, e, d) => { if (producedWhenFirstWrite < 0) producedWhenFirstWrite = produced; out.write(c, e, d) } })
    let produced = 0
    async function* source(): AsyncGenerator<OutboxMessage> {
      for (let i = 0; i < 5000; i++) {
        produced = i
        yield synthetic(i, 5)
      }
    }
    expect(await writeMailq(source(), probe, { json: false, now: 0 })).toBe(5000)
    expect(producedWhenFirstWrite).toBeGreaterThan(0)
    expect(producedWhenFirstWrite).toBeLessThan(200)
    expect(out.text()).toMatch(/-- 19531 Kbytes in 5000 Requests\.\n$/)
  })

  it('keeps the heap flat whether 2,000 or 20,000 messages pass through (rough bound)', async () => {
    // Live heap after a full GC at each sample: what is kept, not what the collector has not got round to yet
    // (Node 24 collects lazier than Node 20, so unforced samples measured garbage).
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const live = (): number => { gc(); return process.memoryUsage().heapUsed }
    const peak = async (n: number): Promise<number> => {
      const start = live()
      let max = 0
      async function* source(): AsyncGenerator<OutboxMessage> {
        for (let i = 0; i < n; i++) {
          if (i % 1000 === 0) max = Math.max(max, live() - start)
          yield synthetic(i, 30)
        }
      }
      const out = sink()
      await writeMailq(source(), out, { json: false, now: 0 })
      expect(out.bytes).toBeGreaterThan(n * 1500)
      return max
    }
    await peak(500)
    const small = await peak(2_000)
    const large = await peak(20_000)
    // 20k messages of 30 recipients are ~60 MB of output: keeping it (or the messages) would show as tens of MB.
    expect(large).toBeLessThan(small + 8 * 1024 * 1024)
  })

  describe('over a real spool', () => {
    let home: string
    let paths: Paths
    beforeAll(async () => {
      home = await mkdtemp(join(tmpdir(), 'mailroom-mailq-'))
      paths = pathsFor(home)
      const spool = await Spool.open(paths.spool, { clock: { now: () => 1_700_000_000_000, setTimeout: () => ({ cancel: () => undefined }) }, log: memoryLogger() })
      const first = await spool.enqueue({ data: Buffer.from('Subject: x\r\n\r\nbody\r\n'), sender: 'alice@mailroom.test', recipients: [{ address: 'bob@remote.test' }], origin: 'cli', messageId: '<a@b>', subject: 'x' })
      // Copies of the committed envelope under new ids (writing 20k messages with fsyncs would take minutes).
      const seed = async (i: number): Promise<void> => {
        const id = newQueueId(1_700_000_000_000 + i)
        const copy: Envelope = { ...first, id, createdAt: 1_700_000_000_000 + i }
        await writeFile(join(paths.spool, i % 10 === 0 ? 'hold' : 'queued', `${id}.json`), serializeEnvelope(i % 10 === 0 ? { ...copy, hold: { kind: i % 20 === 0 ? 'freeze' : 'hold', by: 'user', reason: '', at: 0 } } : copy))
        await link(join(paths.spool, 'data', first.id), join(paths.spool, 'data', id))
      }
      for (let i = 1; i < SEEDED; i += 200) await Promise.all(Array.from({ length: Math.min(200, SEEDED - i) }, (_, k) => seed(i + k)))
    }, 300_000)
    afterAll(() => rm(home, { recursive: true, force: true }))

    it('lists every message once, in arrival order, with the hold and frozen marks and the Postfix total line', async () => {
      const out = sink()
      expect(await writeMailq(scanQueue(paths), out, { json: false, now: 0 })).toBe(SEEDED)
      const text = out.text()
      expect(text.split('\n')[0]).toBe('-Queue ID-            --Size-- ---Arrival Time---- --Sender/Recipient------')
      expect(text).toMatch(new RegExp(`-- \\d+ Kbytes in ${SEEDED} Requests\\.\\n$`))
      expect(out.writes).toBeGreaterThan(10)
    }, 120_000)

    it('gives the same messages as a JSON array with --json', async () => {
      const out = sink()
      let ids = 0
      const counting = new Writable({ write: (c: Buffer, e, d) => { ids += (c.toString().match(/"id":/g) ?? []).length; out.write(c, e, d) } })
      expect(await writeMailq(scanQueue(paths), counting, { json: true, now: 0 })).toBe(SEEDED)
      expect(ids).toBe(SEEDED)
      expect(out.text().startsWith('[\n{"id":')).toBe(true)
      expect(out.text().endsWith('}\n]\n')).toBe(true)
    }, 120_000)
  })
})
