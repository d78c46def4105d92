// One imapflow session per account: login with the account's credentials, reconnect with doubling backoff after
// a drop, and a state the UI shows (connecting, online, offline, error).
import { ImapFlow } from 'imapflow'
import type { ServerCredentials } from '../accounts/credentials'
import type { AccountConfig } from '../config/schema'
import {
  IMAP_AUTO_IDLE_DELAY_MS, IMAP_CONNECT_TIMEOUT_MS, IMAP_GREETING_TIMEOUT_MS, IMAP_MAX_IDLE_MS, IMAP_RECONNECT_FIRST_MS,
  IMAP_RECONNECT_MAX_MS, IMAP_SOCKET_TIMEOUT_MS
} from '../config/timeouts'
import type { Logger } from '../log/logger'
import type { AppError } from '../../shared/result'
import { imapError } from './connect'

export type SessionState = 'connecting' | 'online' | 'offline' | 'error'

export interface SessionOptions {
  account: AccountConfig
  credentials: () => Promise<ServerCredentials>
  log: Logger
  onState: (state: SessionState, message?: string) => void
  /** A fresh, logged-in client (listeners are attached here); rejecting counts as a failed connect. */
  onConnected: (client: ImapFlow) => Promise<void>
  /** Backoff bounds (tests shorten them). */
  reconnectFirstMs?: number
  reconnectMaxMs?: number
}

export function flowOptions(c: ServerCredentials): ConstructorParameters<typeof ImapFlow>[0] {
  return {
    host: c.host,
    port: c.port,
    secure: c.security === 'tls',
    doSTARTTLS: c.security === 'starttls' ? true : c.security === 'none' ? false : undefined,
    auth: { user: c.user, pass: c.password },
    tls: { rejectUnauthorized: c.tls.rejectUnauthorized, servername: c.host },
    logger: false,
    connectionTimeout: IMAP_CONNECT_TIMEOUT_MS,
    greetingTimeout: IMAP_GREETING_TIMEOUT_MS,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    qresync: true,
    autoIdleDelay: IMAP_AUTO_IDLE_DELAY_MS,
    maxIdleTime: IMAP_MAX_IDLE_MS
  }
}

export class ImapSession {
  private client: ImapFlow | null = null
  private timer: NodeJS.Timeout | null = null
  private delay: number
  private closed = false
  private connecting: Promise<void> | null = null
  private waiters: (() => void)[] = []
  state: SessionState = 'offline'
  /** Why the last attempt failed (cleared when online). */
  lastError: AppError | null = null

  constructor(private readonly options: SessionOptions) {
    this.delay = options.reconnectFirstMs ?? IMAP_RECONNECT_FIRST_MS
  }

  /** The logged-in client, or null while offline. */
  get current(): ImapFlow | null {
    return this.client?.usable === true ? this.client : null
  }

  start(): void {
    void this.connect()
  }

  /** Try now (a kick from the UI or the network coming back): the backoff starts over. */
  kick(): void {
    if (this.closed || this.current !== null) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.delay = this.options.reconnectFirstMs ?? IMAP_RECONNECT_FIRST_MS
    void this.connect()
  }

  /** Resolves with the client once online, or null after `ms` or when an attempt fails (see lastError). */
  async waitOnline(ms: number): Promise<ImapFlow | null> {
    if (this.current !== null) return this.current
    if (ms <= 0) return null
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.waiters.push(() => { clearTimeout(timer); resolve() })
    })
    return this.current
  }

  private setState(state: SessionState, message?: string): void {
    this.state = state
    this.options.onState(state, message)
  }

  private connect(): Promise<void> {
    this.connecting ??= this.attempt().finally(() => { this.connecting = null })
    return this.connecting
  }

  private async attempt(): Promise<void> {
    if (this.closed) return
    const { account, log } = this.options
    this.setState('connecting')
    let client: ImapFlow | null = null
    try {
      client = new ImapFlow(flowOptions(await this.options.credentials()))
      client.on('error', (error: Error) => log.warn('imap', `${account.id}: ${error.message}`))
      await client.connect()
      const live = client
      live.on('close', () => this.dropped(live))
      this.client = live
      await this.options.onConnected(live)
      this.delay = this.options.reconnectFirstMs ?? IMAP_RECONNECT_FIRST_MS
      if (this.closed) return
      this.lastError = null
      this.setState('online')
      for (const wake of this.waiters.splice(0)) wake()
    } catch (error) {
      const coded = imapError(account, error)
      log.warn('imap', `${account.id}: ${coded.message}`)
      if (client !== null) {
        this.client = null
        client.close()
      }
      if (this.closed) return
      this.lastError = coded
      this.setState(coded.code === 'IMAP_AUTH' || coded.code === 'SECRET_MISSING' ? 'error' : 'offline', coded.message)
      this.schedule()
      for (const wake of this.waiters.splice(0)) wake()
    }
  }

  private dropped(client: ImapFlow): void {
    if (this.client !== client) return
    this.client = null
    if (this.closed) return
    this.options.log.warn('imap', `${this.options.account.id}: connection lost; reconnecting`)
    this.setState('offline', 'The connection to the mail server was lost')
    this.schedule()
  }

  private schedule(): void {
    if (this.closed || this.timer !== null) return
    const wait = this.delay
    this.delay = Math.min(this.delay * 2, this.options.reconnectMaxMs ?? IMAP_RECONNECT_MAX_MS)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.connect()
    }, wait)
    this.timer.unref?.()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    for (const wake of this.waiters.splice(0)) wake()
    const client = this.client
    this.client = null
    if (client !== null) await client.logout().catch(() => client.close())
  }
}
