// When a message from the composer is first tried: send later, undo window, or at once.
import { describe, expect, it } from 'vitest'
import { firstAttemptAt } from '../../../src/main/app/handlers'

describe('firstAttemptAt', () => {
  const now = 1_000_000
  it('holds an undoable send back for the undo window', () => {
    expect(firstAttemptAt({ sendAt: null, undo: true }, 10, now)).toBe(now + 10_000)
  })
  it('sends at once without undo, or when the undo window is off', () => {
    expect(firstAttemptAt({ sendAt: null, undo: false }, 10, now)).toBeNull()
    expect(firstAttemptAt({ sendAt: null, undo: true }, 0, now)).toBeNull()
  })
  it('uses the send-later time, and a time in the past means now', () => {
    expect(firstAttemptAt({ sendAt: now + 3_600_000, undo: true }, 10, now)).toBe(now + 3_600_000)
    expect(firstAttemptAt({ sendAt: now - 1, undo: false }, 10, now)).toBeNull()
  })
})
