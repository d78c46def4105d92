// Browser-mode transport: contract calls as JSON frames over the loopback WebSocket, replies matched by id, reconnect with backoff.
import type { Transport } from '@shared/client'
import { fail, type Result } from '@shared/result'
import type { ClientFrame } from '@shared/wire'
import { createConnectionMonitor, type ConnectionMonitor } from './connection'

/** The part of the DOM WebSocket this transport uses; tests inject a fake class. */
export type SocketLike = Pick<WebSocket, 'send' | 'close' | 'onopen' | 'onmessage' | 'onclose' | 'onerror'> & { readonly readyState: number }
export type SocketConstructor = new (url: string) => SocketLike

/** WebSocket.OPEN, spelled out so a fake class need not carry the constants. */
const OPEN = 1
/** Close codes a server may use to say the token is refused: retrying with it would not help. */
const UNAUTHORIZED_CLOSE_CODES = new Set([4401, 4403])

/** First retry after half a second, doubling up to ten seconds: the server is on the same machine. */
export const RECONNECT_INITIAL_MS = 500
export const RECONNECT_MAX_MS = 10_000

export interface WebSocketTransportOptions {
  url: string
  WebSocketImpl?: SocketConstructor
  initialDelayMs?: number
  maxDelayMs?: number
  setTimer?: (run: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  now?: () => number
}

export interface WebSocketLink {
  transport: Transport
  connection: ConnectionMonitor
  /** Skip the backoff wait and try again at once (the banner's "Retry now"). */
  reconnectNow(): void
  /** Stops for good: pending calls fail, no more reconnects. */
  close(): void
}

type Settle = (result: Result<unknown>) => void
/** A call frame already serialised (a composed message can be large: encode it once). */
type Outgoing = { id: number; name: string; text: string; settle: Settle }

export function backoffDelay(failures: number, initialMs = RECONNECT_INITIAL_MS, maxMs = RECONNECT_MAX_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1))
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const r = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } }
  if (r.ok === true) return true
  return r.ok === false && typeof r.error?.code === 'string' && typeof r.error.message === 'string'
}

export function connectWebSocket(options: WebSocketTransportOptions): WebSocketLink {
  const Impl = options.WebSocketImpl ?? WebSocket
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms))
  const clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>))
  const now = options.now ?? Date.now
  const monitor = createConnectionMonitor({ kind: 'connecting' })
  const listeners = new Set<(name: string, payload: unknown) => void>()
  /** Calls written to the current socket, waiting for their result frame. */
  const inFlight = new Map<number, { name: string; settle: Settle }>()
  /** Calls made while the current socket is still connecting; written when it opens. */
  let waiting: Outgoing[] = []
  let socket: SocketLike | null = null
  let nextId = 1
  let failures = 0
  let everConnected = false
  let retryTimer: unknown = null
  let stopped = false

  function write(ws: SocketLike, call: Outgoing): void {
    inFlight.set(call.id, { name: call.name, settle: call.settle })
    try {
      ws.send(call.text)
    } catch (error) {
      inFlight.delete(call.id)
      call.settle(fail('TRANSPORT_CLOSED', `${call.name} could not be sent to Mailroom: ${String(error)}`, { call: call.name, requestSent: false }))
    }
  }

  function receive(data: unknown): void {
    if (typeof data !== 'string') return
    let frame: { type?: unknown; id?: unknown; result?: unknown; name?: unknown; payload?: unknown }
    try {
      frame = JSON.parse(data) as typeof frame
    } catch {
      return
    }
    if (frame?.type === 'result' && typeof frame.id === 'number') {
      const call = inFlight.get(frame.id)
      if (call === undefined) return
      inFlight.delete(frame.id)
      call.settle(isResult(frame.result) ? frame.result : fail('INTERNAL', `Mailroom sent a malformed reply to ${call.name}`))
    } else if (frame?.type === 'event' && typeof frame.name === 'string') {
      for (const listener of listeners) {
        try {
          listener(frame.name, frame.payload)
        } catch (error) {
          console.error(`listener of ${frame.name} failed`, error)
        }
      }
    }
  }

  /** Every call still open on a dead socket fails; whether the server acted on it is unknown. */
  function failOutstanding(): void {
    for (const [id, call] of inFlight) {
      inFlight.delete(id)
      call.settle(fail('TRANSPORT_CLOSED', `The connection to Mailroom was lost before ${call.name} was answered`, { call: call.name, requestSent: true }))
    }
    const notSent = waiting
    waiting = []
    for (const call of notSent) {
      call.settle(fail('TRANSPORT_CLOSED', `Mailroom could not be reached, so ${call.name} was not sent`, { call: call.name, requestSent: false }))
    }
  }

  function onDown(code: number | null, reason: string): void {
    failOutstanding()
    if (stopped) return
    if (code !== null && UNAUTHORIZED_CLOSE_CODES.has(code)) {
      monitor.set({ kind: 'unauthorized', reason: reason || 'the access token was refused' })
      return
    }
    failures += 1
    const delay = backoffDelay(failures, options.initialDelayMs, options.maxDelayMs)
    monitor.set({ kind: 'reconnecting', attempt: failures, retryAt: now() + delay, everConnected })
    retryTimer = setTimer(open, delay)
  }

  function open(): void {
    retryTimer = null
    let ws: SocketLike
    try {
      ws = new Impl(options.url)
    } catch (error) {
      socket = null
      onDown(null, String(error))
      return
    }
    socket = ws
    ws.onopen = () => {
      if (socket !== ws) return
      failures = 0
      everConnected = true
      monitor.set({ kind: 'connected' })
      const queued = waiting
      waiting = []
      for (const call of queued) write(ws, call)
    }
    ws.onmessage = (event) => {
      if (socket === ws) receive(event.data)
    }
    ws.onerror = () => {
      // A close event always follows an error; that is where the link is torn down.
    }
    ws.onclose = (event) => {
      if (socket !== ws) return
      socket = null
      onDown(event.code, event.reason)
    }
  }

  const transport: Transport = {
    invoke(name, args) {
      return new Promise<Result<unknown>>((settle) => {
        const state = monitor.state
        if (stopped) return settle(fail('TRANSPORT_CLOSED', `The connection to Mailroom is closed, so ${name} was not sent`, { call: name, requestSent: false }))
        if (state.kind === 'unauthorized') return settle(fail('UNAUTHORIZED', `Mailroom refused the access token (${state.reason})`))
        const id = nextId++
        let text: string
        try {
          text = JSON.stringify({ type: 'call', id, name, args } satisfies ClientFrame)
        } catch (error) {
          return settle(fail('INVALID_ARGUMENT', `The arguments of ${name} cannot be sent: ${String(error)}`))
        }
        const call: Outgoing = { id, name, text, settle }
        if (socket !== null && socket.readyState === OPEN) write(socket, call)
        else if (socket !== null) waiting.push(call)
        else settle(fail('TRANSPORT_CLOSED', `Not connected to Mailroom (reconnecting), so ${name} was not sent`, { call: name, requestSent: false }))
      })
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }

  open()

  return {
    transport,
    connection: monitor,
    reconnectNow() {
      if (stopped || socket !== null || retryTimer === null) return
      clearTimer(retryTimer)
      open()
    },
    close() {
      stopped = true
      if (retryTimer !== null) clearTimer(retryTimer)
      retryTimer = null
      const ws = socket
      socket = null
      failOutstanding()
      ws?.close(1000, 'closed by the page')
    }
  }
}
