// The Sent-copy retry schedule: 1, 5, 15, 60 min then hourly; login problems 1 h then 6 h; 7 days to give up.
import { describe, expect, it } from 'vitest'
import { expired, retryDelay, SENT_LIFETIME_MS } from '../../../src/main/sent/schedule'

const MIN = 60_000

describe('Sent-copy retry schedule', () => {
  it('backs off 1, 5, 15, 60 minutes, then every hour', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => retryDelay(n, 'IMAP_CONNECT') / MIN)).toEqual([1, 5, 15, 60, 60, 60])
  })

  it('retries login and configuration problems less often: 1 h, then every 6 h', () => {
    expect([1, 2, 3].map((n) => retryDelay(n, 'IMAP_AUTH') / MIN)).toEqual([60, 360, 360])
    expect(retryDelay(1, 'ACCOUNT_NOT_FOUND') / MIN).toBe(60)
  })

  it('gives up 7 days after the job was created', () => {
    expect(SENT_LIFETIME_MS).toBe(7 * 24 * 3600_000)
    expect(expired(0, SENT_LIFETIME_MS - 1)).toBe(false)
    expect(expired(0, SENT_LIFETIME_MS)).toBe(true)
  })
})
