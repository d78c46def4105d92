// Offline detection: when every attempt of a run failed to resolve or connect, the network is down. Then attempts
// do not count, delivery only probes on a backoff, and the first attempt that reaches a server retries everything.

/** First probe after going offline. */
export const OFFLINE_PROBE_MIN_MS = 30_000
/** Longest wait between probes while offline. */
export const OFFLINE_PROBE_MAX_MS = 5 * 60_000
/** Messages attempted by a probe run while offline. */
export const OFFLINE_PROBE_MESSAGES = 1

export class OfflineState {
  private offlineNow = false
  private delay = OFFLINE_PROBE_MIN_MS

  get offline(): boolean {
    return this.offlineNow
  }

  /** The wait before the next probe. */
  get probeDelay(): number {
    return this.delay
  }

  /**
   * The verdict of a run: reached a server (online) or only unreachable attempts (offline); runs without attempts
   * change nothing. Returns 'online' / 'offline' when the state changed, else null.
   */
  afterRun(attempts: number, reachedServer: boolean): 'online' | 'offline' | null {
    if (attempts === 0) return null
    if (reachedServer) return this.set(true)
    if (this.offlineNow) {
      this.delay = Math.min(this.delay * 2, OFFLINE_PROBE_MAX_MS)
      return null
    }
    return this.set(false)
  }

  /** What the system (or the app) says about the network. Returns the change, or null. */
  set(online: boolean): 'online' | 'offline' | null {
    if (online === !this.offlineNow) return null
    this.offlineNow = !online
    this.delay = OFFLINE_PROBE_MIN_MS
    return online ? 'online' : 'offline'
  }
}
