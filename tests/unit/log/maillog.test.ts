// Maillog lines: written in Postfix's order and format by the logger, and read back field by field for the message trace.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, formatDelays, formatMailEvent } from '../../../src/main/log/logger'
import { messageTrace, parseMaillogLine } from '../../../src/main/log/maillog'

const ID = '0ABCDEFGHJ0123456789'

describe('maillog line format', () => {
  it('writes a delivery event exactly in Postfix’s order', () => {
    expect(formatMailEvent(ID, {
      to: 'b@remote.test', relay: 'mx.remote.test[127.0.0.2]:25', delay: 0.4512, delays: formatDelays(0.01, 0, 0.2049, 0.24),
      dsn: '2.0.0', status: 'sent', reply: '250 2.0.0 Ok: queued as 4XyZ'
    })).toBe(`${ID}: to=<b@remote.test>, relay=mx.remote.test[127.0.0.2]:25, delay=0.45, delays=0.01/0/0.2/0.24, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)`)
  })

  it('writes relay=none when nothing was reached, and a multi-line reply on one line', () => {
    expect(formatMailEvent(ID, { to: 'b@nowhere.test', relay: 'none', delay: 0, dsn: '5.1.2', status: 'bounced', reply: 'Host not found\r\nsecond line' }))
      .toBe(`${ID}: to=<b@nowhere.test>, relay=none, delay=0.00, dsn=5.1.2, status=bounced (Host not found second line)`)
  })

  it('formats delays like Postfix: at most two decimals, whole seconds from 10 s', () => {
    expect(formatDelays(0, 0.004, 1.5, 12.7)).toBe('0/0/1.5/13')
  })
})

describe('parseMaillogLine', () => {
  it('reads back every field of a line the logger wrote to the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillog-'))
    try {
      const file = join(dir, 'maillog')
      const log = createLogger({ file, now: () => Date.UTC(2026, 10, 25, 15, 50, 24, 123) })
      log.mail('smtp', ID, { to: 'b@remote.test', relay: 'mx.remote.test[127.0.0.2]:25', delay: 0.45, delays: '0.01/0/0.2/0.24', dsn: '2.0.0', status: 'sent', reply: '250 2.0.0 Ok: queued as 4XyZ' })
      const entry = parseMaillogLine(readFileSync(file, 'utf8').trimEnd())
      expect(entry).toEqual({
        time: '2026-11-25T15:50:24.123Z', component: 'smtp', pid: process.pid, level: 'info', queueId: ID,
        fields: { to: 'b@remote.test', relay: 'mx.remote.test[127.0.0.2]:25', delay: '0.45', delays: '0.01/0/0.2/0.24', dsn: '2.0.0', status: 'sent' },
        reply: '250 2.0.0 Ok: queued as 4XyZ',
        text: `${ID}: to=<b@remote.test>, relay=mx.remote.test[127.0.0.2]:25, delay=0.45, delays=0.01/0/0.2/0.24, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)`
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps an address whose quoted local part holds ", " and "=", and a reply with parentheses', () => {
    const entry = parseMaillogLine(`2026-11-25T15:50:24.123Z mailroom/smtp[7]: ${ID}: to=<"a, b=c"@x.test>, relay=none, delay=1.00, dsn=4.4.1, status=deferred (connect to mx[1.2.3.4]:25: connection refused (again))`)
    expect(entry?.fields).toEqual({ to: '"a, b=c"@x.test', relay: 'none', delay: '1.00', dsn: '4.4.1', status: 'deferred' })
    expect(entry?.reply).toBe('connect to mx[1.2.3.4]:25: connection refused (again)')
  })

  it('reads enqueue lines (from=, size=, nrcpt=) and the null sender', () => {
    const entry = parseMaillogLine(`2026-11-25T15:50:24.123Z mailroom/queue[7]: ${ID}: from=<>, size=1234, nrcpt=2, origin=cli`)
    expect(entry?.fields).toEqual({ from: '', size: '1234', nrcpt: '2', origin: 'cli' })
    expect(entry?.reply).toBeUndefined()
  })

  it('gives the text of a plain line about a message, with the level', () => {
    const entry = parseMaillogLine(`2026-11-25T15:50:24.123Z mailroom/smtp[7]: warn: ${ID}: example.test: skipped mx2[10.0.0.1]: private or loopback address refused`)
    expect(entry).toMatchObject({ level: 'warn', queueId: ID, fields: {}, text: `${ID}: example.test: skipped mx2[10.0.0.1]: private or loopback address refused` })
  })

  it('returns null for a line that is not a maillog line, and no queue id for a line about no message', () => {
    expect(parseMaillogLine('hello world')).toBeNull()
    expect(parseMaillogLine('')).toBeNull()
    const entry = parseMaillogLine('2026-11-25T15:50:24.123Z mailroom/daemon[7]: started')
    expect(entry).toMatchObject({ component: 'daemon', text: 'started', fields: {} })
    expect(entry?.queueId).toBeUndefined()
  })

  it('collects the trace of one message from a whole maillog', () => {
    const other = '1ABCDEFGHJ0123456789'
    const text = [
      `2026-11-25T15:50:24.000Z mailroom/queue[7]: ${ID}: from=<a@x.test>, size=10, nrcpt=1, origin=ui`,
      `2026-11-25T15:50:24.100Z mailroom/queue[7]: ${other}: from=<a@x.test>, size=10, nrcpt=1, origin=ui`,
      `2026-11-25T15:50:25.000Z mailroom/smtp[7]: ${ID}: to=<b@y.test>, relay=none, delay=1.00, dsn=4.4.1, status=deferred (connection refused)`,
      'garbage',
      `2026-11-25T16:00:25.000Z mailroom/smtp[7]: ${ID}: to=<b@y.test>, relay=mx.y.test[192.0.2.1]:25, delay=601.00, dsn=2.0.0, status=sent (250 ok)`
    ].join('\n')
    expect(messageTrace(text, ID).map((e) => e.fields.status ?? 'queued')).toEqual(['queued', 'deferred', 'sent'])
  })
})
