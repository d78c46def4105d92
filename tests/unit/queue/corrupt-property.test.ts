// Property: whatever damage an envelope file has (truncated, garbage bytes, wrong field types, random bytes, empty), and
// whatever stray files lie in the state directories, opening the spool never throws, moves exactly the unreadable ones to corrupt/ with a log line, and the messages beside
// them are still listed and delivered.
import fc from 'fast-check'
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type SpoolDir } from '../../../src/main/queue/envelope'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { QueueService } from '../../../src/main/queue/service'
import { Spool } from '../../../src/main/queue/spool'
import { fakeClock, fakeDeliverer, memoryLogger, message, tempDir } from './helpers'

/** Field -> a value of the wrong type or out of range: each makes a schema-valid envelope invalid. */
const WRONG_TYPES: [string, unknown][] = [
  ['version', '1'], ['version', 99], ['id', 12345], ['id', 'not-a-queue-id'], ['createdAt', 'yesterday'], ['origin', 'fax'],
  ['sender', null], ['size', -1], ['size', '100'], ['seq', -1], ['seq', 1.5], ['recipients', []], ['recipients', 'bob@example.net'],
  ['recipients', [{}]], ['subject', null], ['messageId', 42]
]

type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'garbage'; edits: { at: number; byte: number }[] }
  | { kind: 'wrongType'; field: number }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'empty' }
  | { kind: 'dropField'; field: number }

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('garbage' as const), edits: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('wrongType' as const), field: fc.nat({ max: WRONG_TYPES.length - 1 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({ kind: fc.constant('empty' as const) }),
  fc.record({ kind: fc.constant('dropField' as const), field: fc.nat({ max: 9 }) })
)

const REQUIRED = ['version', 'id', 'createdAt', 'origin', 'sender', 'size', 'subject', 'seq', 'recipients', 'notBefore']

function apply(d: Damage, good: Buffer): Buffer {
  switch (d.kind) {
    case 'truncate':
      return good.subarray(0, Math.floor(d.at * good.length))
    case 'garbage': {
      const bytes = Buffer.from(good)
      for (const e of d.edits) bytes[Math.min(bytes.length - 1, Math.floor(e.at * bytes.length))] = e.byte
      return bytes
    }
    case 'wrongType': {
      const [field, value] = WRONG_TYPES[d.field] as [string, unknown]
      return Buffer.from(JSON.stringify({ ...JSON.parse(good.toString('utf8')), [field]: value }))
    }
    case 'dropField': {
      const json = JSON.parse(good.toString('utf8')) as Record<string, unknown>
      delete json[REQUIRED[d.field] as string]
      return Buffer.from(JSON.stringify(json))
    }
    case 'random':
      return Buffer.from(d.bytes)
    case 'empty':
      return Buffer.alloc(0)
  }
}

/** Damage that no parser may accept, whatever the bytes turn out to be. */
function surelyInvalid(d: Damage, good: Buffer, bad: Buffer): boolean {
  if (d.kind === 'empty' || d.kind === 'wrongType' || d.kind === 'dropField') return true
  if (d.kind === 'truncate') return bad.length <= good.lastIndexOf('}')
  if (d.kind === 'random') return bad[0] !== 0x7b // not even '{'
  return false
}

function readable(bytes: Buffer, id: string): boolean {
  try {
    return parseEnvelope(bytes).id === id
  } catch {
    return false
  }
}

/** Files that are not `<queue id>.json` at all (lowercase, so never a queue id): recovery sets them aside too. */
const strays = fc.uniqueArray(fc.record({
  name: fc.stringMatching(/^[a-z0-9-]{1,12}\.(json|txt|tmp)$/),
  dir: fc.constantFrom<SpoolDir>('queued', 'deferred', 'hold'),
  bytes: fc.uint8Array({ maxLength: 64 })
}), { maxLength: 3, selector: (s) => s.name })

const placed = fc.array(fc.record({ damage, dir: fc.constantFrom<SpoolDir>('queued', 'deferred', 'hold') }), { minLength: 1, maxLength: 5 })

describe('recovery of damaged envelopes (property)', () => {
  test('unreadable envelopes go to corrupt/ with a log line, never a throw; the rest flows', async () => {
    await fc.assert(fc.asyncProperty(placed, fc.integer({ min: 1, max: 3 }), strays, async (damages, goodCount, stray) => {
      const { dir, cleanup } = await tempDir()
      try {
        const clock = fakeClock()
        const spoolDir = join(dir, 'spool')
        const writer = await Spool.open(spoolDir, { clock, log: memoryLogger() })
        const good: string[] = []
        for (let i = 0; i < goodCount; i++) {
          good.push((await writer.enqueue(message({ messageId: `<good-${i}@example.org>`, subject: `good ${i}` }))).id)
        }
        const expectCorrupt: string[] = []
        const expectKept: { id: string; dir: SpoolDir }[] = []
        for (const [n, { damage: d, dir: target }] of damages.entries()) {
          const { id } = await writer.enqueue(message({ messageId: `<damaged-${n}@example.org>`, subject: `damaged ${n}` }))
          const path = join(spoolDir, 'queued', `${id}.json`)
          const original = await readFile(path)
          const bad = apply(d, original)
          await unlink(path)
          await writeFile(join(spoolDir, target, `${id}.json`), bad)
          if (readable(bad, id)) {
            expect(surelyInvalid(d, original, bad), `${d.kind} damage was accepted by the parser`).toBe(false)
            expectKept.push({ id, dir: target })
          } else {
            expectCorrupt.push(id)
          }
        }

        for (const f of stray) await writeFile(join(spoolDir, f.dir, f.name), f.bytes)

        const log = memoryLogger()
        const service = await QueueService.open({ spoolDir, lockFile: join(dir, 'queue.lock'), deliverer: fakeDeliverer(), clock, log })
        const corrupt = await readdir(join(spoolDir, 'corrupt'))
        for (const id of expectCorrupt) {
          expect(corrupt, `${id} should be in corrupt/`).toContain(`${id}.json`)
          expect(corrupt, `${id}'s data should follow it`).toContain(`${id}.data`)
          expect(log.lines.some((l) => l.includes(id) && l.includes('corrupt/')), `no log line for ${id}:\n${log.lines.join('\n')}`).toBe(true)
        }
        for (const f of stray) expect(corrupt.some((name) => name.startsWith(f.name)), `stray ${f.dir}/${f.name} should be in corrupt/`).toBe(true)
        expect(corrupt).toHaveLength(expectCorrupt.length * 2 + stray.length)
        const listed = (await service.spool.list()).map((e) => e.id).sort()
        expect(listed).toEqual([...good, ...expectKept.map((k) => k.id)].sort())

        // The good messages (and readable damaged ones not held) are delivered; corrupt/ is left alone.
        const deliverer = fakeDeliverer()
        await service.close()
        const runner = await QueueService.open({ spoolDir, lockFile: join(dir, 'queue.lock'), deliverer, clock, log })
        expect(await runner.becomeRunner()).toBe(true)
        await runner.flush()
        await runner.close()
        const delivered = deliverer.requests.map((r) => r.queueId).sort()
        expect(delivered).toEqual([...good, ...expectKept.filter((k) => k.dir !== 'hold').map((k) => k.id)].sort())
        for (const id of good) {
          expect(deliverer.requests.find((r) => r.queueId === id)?.data.toString()).toContain('Hi Bob')
        }
        expect((await readdir(join(spoolDir, 'corrupt'))).sort()).toEqual([...corrupt].sort())
        expect(await readdir(join(spoolDir, 'tmp'))).toEqual([])
      } finally {
        await cleanup()
      }
    }), { numRuns: Number(process.env.FC_RUNS ?? 60) })
  }, 60_000)
})
