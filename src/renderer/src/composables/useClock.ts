// One shared clock for every countdown and "next try in 4 min": a single interval, ticking as fast as the most eager user needs.
import { computed, getCurrentScope, onScopeDispose, ref, type ComputedRef } from 'vue'

const tick = ref(Date.now())
/** Resolution (ms) wanted by each live subscriber. */
const subscribers = new Map<symbol, number>()
let timer: ReturnType<typeof setInterval> | undefined
let timerInterval = Infinity

function reschedule(): void {
  const wanted = subscribers.size === 0 ? Infinity : Math.min(...subscribers.values())
  if (wanted === timerInterval) return
  clearInterval(timer)
  timer = undefined
  timerInterval = wanted
  if (wanted === Infinity) return
  timer = setInterval(() => {
    tick.value = Date.now()
  }, wanted)
}

/**
 * The current time (ms), rounded down to `resolutionMs` when that is coarser than a second, while the calling
 * component or scope is alive.
 * Rows that only need minutes do not re-render on every second tick: the computed only changes when the
 * rounded value does.
 */
export function useClock(resolutionMs = 1000): ComputedRef<number> {
  const key = Symbol('clock subscriber')
  subscribers.set(key, resolutionMs)
  tick.value = Date.now()
  reschedule()
  if (getCurrentScope() !== undefined) {
    onScopeDispose(() => {
      subscribers.delete(key)
      reschedule()
    })
  }
  // At a second or finer the raw tick: countdowns must not lag by the rounding on top of the tick's own age.
  if (resolutionMs <= 1000) return computed(() => tick.value)
  return computed(() => Math.floor(tick.value / resolutionMs) * resolutionMs)
}

/** How many subscribers and which interval: for tests of the shared timer. */
export function clockState(): { subscribers: number; intervalMs: number } {
  return { subscribers: subscribers.size, intervalMs: timerInterval }
}
