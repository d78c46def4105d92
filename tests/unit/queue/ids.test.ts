// Queue ids: unique, time-sortable, file-name safe.
import { describe, it, expect } from 'vitest'
import { createIdGenerator, isQueueId, newQueueId, QUEUE_ID_LENGTH, queueIdTime } from '../../../src/main/queue/ids'

describe('queue ids', () => {
  it('are 20 characters of [0-9A-Z] and carry their creation time', () => {
    const id = newQueueId(Date.UTC(2025, 0, 6))
    expect(id).toMatch(/^[0-9A-Z]{20}$/)
    expect(id).toHaveLength(QUEUE_ID_LENGTH)
    expect(isQueueId(id)).toBe(true)
    expect(queueIdTime(id)).toBe(Date.UTC(2025, 0, 6))
  })

  it('never repeat across 100 000 ids made in the same millisecond', () => {
    const next = createIdGenerator()
    const ids = new Set<string>()
    for (let i = 0; i < 100_000; i++) ids.add(next(1_700_000_000_000))
    expect(ids.size).toBe(100_000)
  })

  it('sort by creation time, and strictly increase within a process even in one millisecond', () => {
    const next = createIdGenerator()
    const made: string[] = []
    for (let t = 0; t < 3000; t++) made.push(next(1_700_000_000_000 + Math.floor(t / 7)))
    expect([...made].sort()).toEqual(made)
    expect(new Set(made).size).toBe(made.length)
    const early = newQueueId(1_600_000_000_000)
    const late = newQueueId(1_700_000_000_000)
    expect(early < late).toBe(true)
  })

  it('stay increasing when the wall clock steps back', () => {
    const next = createIdGenerator()
    const a = next(2_000_000)
    const b = next(1_000_000)
    expect(b > a).toBe(true)
  })

  it('differ between processes even with identical random bytes and time', () => {
    const zero = (size: number): Buffer => Buffer.alloc(size)
    const a = createIdGenerator({ pid: 4242, random: zero })(1_700_000_000_000)
    const b = createIdGenerator({ pid: 4243, random: zero })(1_700_000_000_000)
    expect(a).not.toBe(b)
  })

  it('reject names that are not ids', () => {
    expect(isQueueId('../etc/passwd')).toBe(false)
    expect(isQueueId('abc')).toBe(false)
    expect(queueIdTime('lowercase-not-an-id')).toBeNull()
  })
})
