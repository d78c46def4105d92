// Retry policy: when a deferred recipient is tried again, and when the queue gives up on it (lifetime, 4.4.7).
// Pure functions of (attempts, times); the runner applies them.

export interface RetryPolicy {
  /** Delays (seconds) after the 1st, 2nd, … failed attempt. */
  schedule: readonly number[]
  /** Delay (seconds) after every attempt past the schedule. */
  interval: number
  /** Give up on a recipient still deferred this long (ms) after the message was queued. */
  lifetime: number
}

export const DEFAULT_RETRY_SCHEDULE_S: readonly number[] = [60, 300, 900, 1800]
export const DEFAULT_RETRY_INTERVAL_S = 3600
export const DEFAULT_LIFETIME_MS = 5 * 24 * 3600 * 1000

export const defaultRetryPolicy: RetryPolicy = {
  schedule: DEFAULT_RETRY_SCHEDULE_S,
  interval: DEFAULT_RETRY_INTERVAL_S,
  lifetime: DEFAULT_LIFETIME_MS
}

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...defaultRetryPolicy, ...overrides }
}

/**
 * The policy from config.queue (durations already in ms): every entry of retrySchedule but the last is the
 * schedule, the last one repeats. ['1m','5m','15m','30m','1h'] is the default 60/300/900/1800 s then hourly.
 */
export function retryPolicyFromSettings(settings: { retrySchedule: readonly number[]; lifetime: number }): RetryPolicy {
  const seconds = settings.retrySchedule.map((ms) => ms / 1000)
  if (seconds.length === 0) return retryPolicy({ lifetime: settings.lifetime })
  return { schedule: seconds.slice(0, -1), interval: seconds[seconds.length - 1] as number, lifetime: settings.lifetime }
}

/** The start of a message's lifetime: its creation, moved on by the time it spent frozen. */
export function lifetimeStart(env: { createdAt: number; frozenMs: number }): number {
  return env.createdAt + env.frozenMs
}

/** Milliseconds to wait after `attempts` failed attempts (attempts ≥ 1; 0 is treated as 1). */
export function nextAttemptDelay(attempts: number, policy: RetryPolicy = defaultRetryPolicy): number {
  const index = Math.max(1, Math.floor(attempts)) - 1
  const seconds = policy.schedule[index] ?? policy.interval
  return seconds * 1000
}

/** The moment the queue stops trying a message created at `createdAt`. */
export function expiresAt(createdAt: number, policy: RetryPolicy = defaultRetryPolicy): number {
  return createdAt + policy.lifetime
}

export function isExpired(createdAt: number, now: number, policy: RetryPolicy = defaultRetryPolicy): boolean {
  return now >= expiresAt(createdAt, policy)
}

/**
 * When to try a deferred recipient next. Never later than the expiry time, so the last attempt happens right at
 * the deadline and a failure then gives up exactly at "5 days" instead of up to an hour later.
 */
export function nextAttemptAt(attempts: number, createdAt: number, now: number, policy: RetryPolicy = defaultRetryPolicy): number {
  const planned = now + nextAttemptDelay(attempts, policy)
  return Math.max(now, Math.min(planned, expiresAt(createdAt, policy)))
}

/** "5 days", "36 hours", "90 minutes": the lifetime in the words of the give-up message. */
export function describeLifetime(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes % (24 * 60) === 0) return plural(minutes / (24 * 60), 'day')
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour')
  return plural(minutes, 'minute')
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}

/** RFC 3463 X.4.7: delivery time expired. */
export const EXPIRED_ENHANCED_CODE = '4.4.7'
