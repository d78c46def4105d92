// The queue, route and identity keys of config.json: defaults, units, and clear errors.
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { parseDuration, parseSize } from '../../../src/main/config/units'

describe('config units', () => {
  it('parses durations with units or seconds', () => {
    expect(parseDuration('30m')).toBe(1_800_000)
    expect(parseDuration('4h')).toBe(14_400_000)
    expect(parseDuration('5d')).toBe(432_000_000)
    expect(parseDuration(90)).toBe(90_000)
    expect(parseDuration('soon')).toBeNull()
    expect(parseDuration(-1)).toBeNull()
  })
  it('parses sizes with units or bytes', () => {
    expect(parseSize('100M')).toBe(100 * 1024 * 1024)
    expect(parseSize('1G')).toBe(1024 ** 3)
    expect(parseSize('512kB')).toBe(512 * 1024)
    expect(parseSize(4096)).toBe(4096)
    expect(parseSize('big')).toBeNull()
  })
})

describe('queue, routes and identities in config.json', () => {
  it('has the documented defaults', () => {
    const config = parseConfig({})
    expect(config.queue.retrySchedule).toEqual([60_000, 300_000, 900_000, 1_800_000, 3_600_000])
    expect(config.queue.lifetime).toBe(5 * 86_400_000)
    expect(config.queue.delayWarning).toBe(4 * 3_600_000)
    expect(config.queue.maxMessages).toBe(100_000)
    expect(config.queue.maxBytes).toBe(2 * 1024 ** 3)
    expect(config.queue.minFreeDisk).toBe(100 * 1024 ** 2)
    expect(config.queue.concurrency).toEqual({ global: 16, perDestination: 4 })
    expect(config.routes).toEqual({ default: [{ type: 'direct' }] })
    expect(config.identities).toEqual([])
  })
  it('takes the route chain of the issue as written', () => {
    const config = parseConfig({
      routes: { default: [{ type: 'direct' }, { type: 'smarthost', host: '127.0.0.3', port: 587, security: 'starttls', auth: { user: 'alice', password: 'secret' }, tls: { rejectUnauthorized: false } }] },
      identities: [{ email: 'alice@imap.test', route: 'default' }]
    })
    expect(config.routes.default?.[1]).toMatchObject({ type: 'smarthost', host: '127.0.0.3', security: 'starttls' })
    expect(config.identities[0]?.route).toBe('default')
  })
  it('names the key and the reason for a bad duration or size', () => {
    expect(() => parseConfig({ queue: { lifetime: 'forever' } })).toThrow(/queue\.lifetime: "forever" is not a duration/)
    expect(() => parseConfig({ queue: { maxBytes: 'lots' } })).toThrow(/queue\.maxBytes: "lots" is not a size/)
    expect(() => parseConfig({ queue: { retrySchedule: [] } })).toThrow(/queue\.retrySchedule/)
    expect(() => parseConfig({ routes: { default: [{ type: 'carrier-pigeon' }] } })).toThrow(/routes\.default\.0/)
  })
})

describe('account ids', () => {
  it('refuses "local", the built-in local mailbox', () => {
    const imap = { host: '127.0.0.1', port: 143, security: 'none', user: 'a', password: 'b' }
    expect(() => parseConfig({ accounts: [{ id: 'local', email: 'a@x.test', imap }] })).toThrow(/accounts\.0\.id: "local" is the name of the built-in local mailbox/)
  })
})
