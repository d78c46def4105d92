// The shared clock (one interval for every countdown), countdown wording, and the send-later choices.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { effectScope, watch } from 'vue'
import { clockState, useClock } from '../../../src/renderer/src/composables/useClock'
import { formatCountdown } from '../../../src/renderer/src/util/format'
import { replyInWords } from '../../../src/renderer/src/util/replies'
import { inOneHour, parseSendAt, toLocalInputValue, tomorrowMorning } from '../../../src/renderer/src/util/sendLater'

afterEach(() => {
  vi.useRealTimers()
})

describe('useClock', () => {
  it('runs one interval at the finest resolution asked for, and stops it when the last user goes', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const rows = effectScope()
    const coarse = rows.run(() => [useClock(30_000), useClock(30_000), useClock(30_000)])!
    expect(clockState()).toEqual({ subscribers: 3, intervalMs: 30_000 })
    expect(vi.getTimerCount()).toBe(1)

    const toast = effectScope()
    const fine = toast.run(() => useClock(1000))!
    expect(clockState()).toEqual({ subscribers: 4, intervalMs: 1000 })
    expect(vi.getTimerCount()).toBe(1)

    let coarseRuns = 0
    const watcher = effectScope()
    watcher.run(() => watch(coarse[0]!, () => (coarseRuns += 1)))
    vi.advanceTimersByTime(5000)
    expect(fine.value).toBe(1_005_000)
    // The minute-level rows saw no change: 1_005_000 rounds down to the same 30 s step.
    expect(coarse[0]!.value).toBe(990_000)
    await Promise.resolve()
    expect(coarseRuns).toBe(0)

    toast.stop()
    expect(clockState()).toEqual({ subscribers: 3, intervalMs: 30_000 })
    rows.stop()
    watcher.stop()
    expect(clockState()).toEqual({ subscribers: 0, intervalMs: Infinity })
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('countdown wording', () => {
  it('counts seconds, then minutes and seconds, then hours, then days', () => {
    expect(formatCountdown(10_000, 0)).toBe('10 s')
    expect(formatCountdown(9_001, 0)).toBe('10 s')
    expect(formatCountdown(65_000, 0)).toBe('1 min 05 s')
    expect(formatCountdown(3 * 3600_000 + 12 * 60_000, 0)).toBe('3 h 12 min')
    expect(formatCountdown(50 * 3600_000, 0)).toBe('2 days 2 h')
    expect(formatCountdown(0, 5000)).toBe('0 s')
  })
})

describe('server replies in words', () => {
  it("prefers the classifier's sentence and adds the codes and host", () => {
    expect(replyInWords({ code: 451, enhanced: '4.7.1', text: '451 4.7.1 Greylisted', human: 'Try again later.', host: 'mx.remote.test' })).toBe(
      'Try again later. — 451 4.7.1, mx.remote.test'
    )
  })

  it('does not repeat codes the server text already starts with', () => {
    expect(replyInWords({ code: 550, enhanced: '5.1.1', text: '550 5.1.1 no such user' })).toBe('550 5.1.1 no such user')
    expect(replyInWords({ code: 550, text: 'no such user' })).toBe('no such user — 550')
    expect(replyInWords(null)).toBeNull()
  })
})

describe('send later choices', () => {
  it('offers in one hour and tomorrow at 8:00 local time', () => {
    const now = new Date(2026, 10, 25, 16, 30, 0).getTime()
    expect(inOneHour(now)).toBe(now + 3600_000)
    expect(tomorrowMorning(now)).toBe(new Date(2026, 10, 26, 8, 0, 0).getTime())
    expect(tomorrowMorning(new Date(2026, 11, 31, 23, 0).getTime())).toBe(new Date(2027, 0, 1, 8, 0).getTime())
  })

  it('reads a custom local time, with seconds, and round-trips it', () => {
    const now = new Date(2026, 10, 25, 16, 30, 0).getTime()
    expect(parseSendAt('2026-11-25T16:30:05', now)).toEqual({ ok: true, sendAt: now + 5000 })
    expect(parseSendAt('2026-11-25T18:00', now)).toEqual({ ok: true, sendAt: now + 90 * 60_000 })
    expect(toLocalInputValue(now + 5000)).toBe('2026-11-25T16:30:05')
    expect(toLocalInputValue(now)).toBe('2026-11-25T16:30')
  })

  it('refuses an empty, impossible or past time with a reason', () => {
    const now = new Date(2026, 10, 25, 16, 30, 0).getTime()
    expect(parseSendAt('', now)).toEqual({ ok: false, problem: 'Choose a date and a time' })
    expect(parseSendAt('2026-02-30T10:00', now)).toEqual({ ok: false, problem: 'That date does not exist' })
    expect(parseSendAt('2026-11-25T16:30', now)).toEqual({ ok: false, problem: 'Choose a time in the future' })
    expect(parseSendAt('2025-01-01T10:00', now)).toEqual({ ok: false, problem: 'Choose a time in the future' })
  })
})
