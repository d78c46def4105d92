// The envelope format: strict parsing with clear errors, and the state → directory rule.
import { describe, it, expect } from 'vitest'
import { serializeEnvelope, stateDirFor, toOutboxMessage, type Envelope } from '../../../src/main/queue/envelope'
import { envelopeSchema, parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { newEnvelope } from '../../../src/main/queue/submission'
import { newQueueId } from '../../../src/main/queue/ids'

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    version: 1,
    id: newQueueId(Date.UTC(2025, 0, 6)),
    createdAt: Date.UTC(2025, 0, 6),
    origin: 'ui',
    sender: 'alice@example.org',
    size: 42,
    messageId: '<1@example.org>',
    subject: 'Hello',
    notBefore: null,
    seq: 0,
    hold: null,
    frozenMs: 0,
    warnedAt: null,
    recipients: [{ address: 'bob@example.net', original: 'bob@example.net', state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null, warned: false }],
    ...overrides
  }
}

describe('envelope parsing', () => {
  it('reads back what it writes', () => {
    const env = envelope({ dsn: { notify: ['FAILURE', 'DELAY'], ret: 'HDRS', envid: 'abc' } })
    expect(parseEnvelope(serializeEnvelope(env))).toEqual(env)
  })

  it('says the JSON is truncated or damaged', () => {
    const bytes = serializeEnvelope(envelope())
    expect(() => parseEnvelope(bytes.subarray(0, bytes.length / 2))).toThrow(/not valid JSON \(truncated or damaged\)/)
    expect(() => parseEnvelope(Buffer.from('\0\0\0garbage'))).toThrow(/not valid JSON/)
    expect(() => parseEnvelope('')).toThrow(/empty/)
  })

  it('names the unsupported version', () => {
    expect(() => parseEnvelope(JSON.stringify({ ...envelope(), version: 2 }))).toThrow(/unsupported envelope version 2/)
  })

  it('names the field that violates the schema', () => {
    const bad = { ...envelope(), recipients: [{ address: 'bob@example.net', state: 'lost' }] }
    expect(() => parseEnvelope(JSON.stringify(bad))).toThrow(/recipients\.0\.state/)
    expect(() => parseEnvelope(JSON.stringify({ ...envelope(), recipients: [] }))).toThrow(/recipients/)
    expect(() => parseEnvelope(JSON.stringify({ ...envelope(), id: '../../x' }))).toThrow(/id: not a queue id/)
  })
})

describe('the directory an envelope belongs in', () => {
  const r = envelope().recipients[0] as Envelope['recipients'][number]
  it('is queued before the first attempt, deferred after one, hold when held, none when finished', () => {
    expect(stateDirFor(envelope())).toBe('queued')
    expect(stateDirFor(envelope({ recipients: [{ ...r, state: 'deferred', attempts: 1 }] }))).toBe('deferred')
    expect(stateDirFor(envelope({ recipients: [{ ...r, state: 'held' }, { ...r, address: 'c@example.net', state: 'deferred' }] }))).toBe('hold')
    expect(stateDirFor(envelope({ recipients: [{ ...r, state: 'sent' }, { ...r, address: 'c@example.net' }] }))).toBe('queued')
    expect(stateDirFor(envelope({ recipients: [{ ...r, state: 'sent' }, { ...r, state: 'failed' }] }))).toBeNull()
    expect(stateDirFor(envelope({ hold: { kind: 'freeze', by: 'system', reason: 'x', at: 0 }, recipients: [{ ...r, state: 'failed' }] }))).toBe('hold')
  })

  it('maps to the shared outbox shape', () => {
    const env = envelope()
    expect(toOutboxMessage(env, 'queued')).toEqual({
      id: env.id, createdAt: env.createdAt, origin: 'ui', sender: 'alice@example.org', subject: 'Hello', size: 42, state: 'queued',
      messageId: '<1@example.org>', notBefore: null, hold: null,
      recipients: [{ address: 'bob@example.net', original: 'bob@example.net', state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null }]
    })
  })
})

describe('newEnvelope (built without zod for the sendmail door)', () => {
  it('produces exactly what the schema accepts and would produce, with and without DSN options', () => {
    const id = newQueueId(1_700_000_000_000)
    for (const dsn of [undefined, { notify: ['FAILURE' as const, 'DELAY' as const], ret: 'HDRS' as const, envid: 'e1' }]) {
      const built = newEnvelope({
        data: Buffer.from('Subject: x\r\n\r\nhi\r\n'), sender: 'alice@example.org', origin: 'cli', messageId: '<m@x>', subject: 'x',
        recipients: [{ address: 'bob@example.net' }, { address: 'bob@EXAMPLE.net' }, { address: 'carol@example.net', original: 'c@example.net' }],
        ...(dsn === undefined ? {} : { dsn })
      }, id, 1_700_000_000_000)
      expect(envelopeSchema.parse(built)).toEqual(built)
      expect(parseEnvelope(serializeEnvelope(built))).toEqual(built)
      expect(built.recipients.map((r) => r.address)).toEqual(['bob@example.net', 'carol@example.net'])
    }
  })
})
