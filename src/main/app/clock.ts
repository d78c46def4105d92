// Injected time: services take a Clock so tests control now() and timers.

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): { cancel(): void }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms)
    timer.unref?.()
    return { cancel: () => clearTimeout(timer) }
  }
}
