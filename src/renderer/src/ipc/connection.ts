// Connection state of the backend link (connecting, connected, reconnecting, no token…) as a tiny observable.

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** The link dropped (or never came up); another attempt is scheduled at `retryAt` (ms since epoch). */
  | { kind: 'reconnecting'; attempt: number; retryAt: number; everConnected: boolean }
  /** Browser mode opened without `#token=…` and none kept in sessionStorage. */
  | { kind: 'missing-token' }
  /** The server closed the link saying the token is not accepted; retrying would not help. */
  | { kind: 'unauthorized'; reason: string }

export interface ConnectionMonitor {
  readonly state: ConnectionState
  onChange(listener: (state: ConnectionState) => void): () => void
}

export interface MutableConnectionMonitor extends ConnectionMonitor {
  set(state: ConnectionState): void
}

export function createConnectionMonitor(initial: ConnectionState): MutableConnectionMonitor {
  let current = initial
  const listeners = new Set<(state: ConnectionState) => void>()
  return {
    get state() {
      return current
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    set(state) {
      current = state
      for (const listener of listeners) listener(state)
    }
  }
}
