// Idle SMTP sessions of direct delivery kept for the next message to the same MX address (Postfix's connection cache).
//
// A session goes back to the pool after a transaction and is taken by the next delivery to the same
// `name[ip]:port`. Before reuse it gets an RSET: a 2xx proves it is alive and that no transaction is left open;
// anything else drops it and the caller opens a fresh connection. A session leaves the pool when it is idle
// SMTP_POOL_IDLE_MS, after MAX_MESSAGES_PER_CONNECTION transactions, when older than SMTP_POOL_MAX_AGE_MS, or when the
// server closes it. The pool never holds a session in use: concurrency stays with the queue runner.
import { SMTP_POOL_IDLE_MS, SMTP_POOL_MAX_AGE_MS } from '../config/timeouts'
import type { SmtpSession } from './smtp'

/** Transactions per connection before it is closed (Postfix's smtp_connection_reuse_count_limit, there unlimited). */
export const MAX_MESSAGES_PER_CONNECTION = 100
/** Idle sessions kept per destination address; more than this are closed at once. */
export const MAX_IDLE_PER_ADDRESS = 8

export interface PoolOptions {
  idleMs?: number
  maxAgeMs?: number
  maxMessages?: number
  now?: () => number
}

interface Idle {
  session: SmtpSession
  timer: NodeJS.Timeout
}

export class SessionPool {
  private readonly idle = new Map<string, Idle[]>()
  private readonly born = new WeakMap<SmtpSession, number>()
  private readonly idleMs: number
  private readonly maxAgeMs: number
  private readonly maxMessages: number
  private readonly now: () => number
  private closed = false
  /** Sessions handed out again (for tests and the log). */
  reused = 0

  constructor(private readonly retire: (session: SmtpSession) => void, options: PoolOptions = {}) {
    this.idleMs = options.idleMs ?? SMTP_POOL_IDLE_MS
    this.maxAgeMs = options.maxAgeMs ?? SMTP_POOL_MAX_AGE_MS
    this.maxMessages = options.maxMessages ?? MAX_MESSAGES_PER_CONNECTION
    this.now = options.now ?? Date.now
  }

  /** Registers a newly opened session: its age (not reused past maxAgeMs), and its end (dropped if idle then). */
  opened(session: SmtpSession): void {
    this.born.set(session, this.now())
    // The server may hang up while the session waits (its own idle timeout): drop it then.
    session.onEnd(() => {
      const entry = this.idle.get(session.relay)?.find((e) => e.session === session)
      if (entry !== undefined) this.evict(session.relay, entry, false)
    })
  }

  /** An idle session to this relay that answered RSET, or undefined (the caller connects afresh). */
  async take(relay: string): Promise<SmtpSession | undefined> {
    for (;;) {
      const list = this.idle.get(relay)
      const entry = list?.pop()
      if (list !== undefined && list.length === 0) this.idle.delete(relay)
      if (entry === undefined) return undefined
      clearTimeout(entry.timer)
      if (entry.session.usable && (await entry.session.reset())) {
        this.reused += 1
        return entry.session
      }
      entry.session.destroy()
      this.retire(entry.session)
    }
  }

  /** Back after a transaction: kept for the next message, or closed when worn out. */
  give(session: SmtpSession): void {
    const age = this.now() - (this.born.get(session) ?? this.now())
    if (this.closed || !session.usable || session.transactions >= this.maxMessages || age >= this.maxAgeMs) {
      this.retire(session)
      return
    }
    const list = this.idle.get(session.relay) ?? []
    if (list.length >= MAX_IDLE_PER_ADDRESS) {
      this.retire(session)
      return
    }
    const entry: Idle = {
      session,
      timer: setTimeout(() => this.evict(session.relay, entry, true), this.idleMs)
    }
    entry.timer.unref()
    list.push(entry)
    this.idle.set(session.relay, list)
  }

  private evict(relay: string, entry: Idle, polite: boolean): void {
    const list = this.idle.get(relay)
    const index = list?.indexOf(entry) ?? -1
    if (list === undefined || index < 0) return
    list.splice(index, 1)
    if (list.length === 0) this.idle.delete(relay)
    clearTimeout(entry.timer)
    if (polite) this.retire(entry.session)
    else entry.session.destroy()
  }

  /** Idle sessions by relay (tests, diagnostics). */
  get idleCount(): number {
    let count = 0
    for (const list of this.idle.values()) count += list.length
    return count
  }

  /** Closes every idle session (QUIT through `retire`); later gives are closed at once. */
  close(): void {
    this.closed = true
    for (const list of this.idle.values()) {
      for (const entry of list) {
        clearTimeout(entry.timer)
        this.retire(entry.session)
      }
    }
    this.idle.clear()
  }
}
