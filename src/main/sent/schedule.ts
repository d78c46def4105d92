// When a Sent-copy job is tried again: 1, 5, 15, 60 minutes, then hourly; login and configuration problems less
// often (1 h, then every 6 h); the job gives up 7 days after it was created. Pure.

export const SENT_RETRY_MS: readonly number[] = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000]
/** Login refused or account missing from the config: a person must act, so hammering the server helps nobody. */
export const SENT_AUTH_RETRY_MS: readonly number[] = [60 * 60_000, 6 * 60 * 60_000]
export const SENT_LIFETIME_MS = 7 * 24 * 3600_000

/** Error codes a person has to fix (wrong password, account removed from the config). */
export const NEEDS_A_PERSON = new Set(['IMAP_AUTH', 'ACCOUNT_NOT_FOUND'])

/** The delay after the n-th failed attempt (n ≥ 1): each entry once in order, the last one repeats. */
export function retryDelay(failedAttempts: number, code: string): number {
  const schedule = NEEDS_A_PERSON.has(code) ? SENT_AUTH_RETRY_MS : SENT_RETRY_MS
  const index = Math.min(Math.max(failedAttempts, 1), schedule.length) - 1
  return schedule[index] as number
}

/** Whether a job created at `createdAt` has run out of time at `now`. */
export function expired(createdAt: number, now: number, lifetimeMs = SENT_LIFETIME_MS): boolean {
  return now - createdAt >= lifetimeMs
}
