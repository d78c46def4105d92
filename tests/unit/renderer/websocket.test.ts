// The browser-mode WebSocket transport: id correlation, events, failing open calls on close, reconnect with backoff.
import { describe, expect, it } from 'vitest'
import type { ServerFrame } from '@shared/wire'
import type { ConnectionState } from '../../../src/renderer/src/ipc/connection'
import { backoffDelay, connectWebSocket, type SocketLike } from '../../../src/renderer/src/ipc/websocket'

/** A scripted stand-in for the browser's WebSocket: the test opens, answers and closes it. */
class FakeSocket implements SocketLike {
  static instances: FakeSocket[] = []
  readyState = 0
  sent: Array<{ type: string; id: number; name: string; args: unknown }> = []
  closedWith: number | undefined
  onopen: WebSocket['onopen'] = null
  onmessage: WebSocket['onmessage'] = null
  onclose: WebSocket['onclose'] = null
  onerror: WebSocket['onerror'] = null

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(data))
  }

  close(code?: number): void {
    this.closedWith = code
    this.readyState = 3
  }

  serverOpens(): void {
    this.readyState = 1
    this.onopen?.call(this as never, new Event('open'))
  }

  serverSends(frame: ServerFrame | string): void {
    const data = typeof frame === 'string' ? frame : JSON.stringify(frame)
    this.onmessage?.call(this as never, new MessageEvent('message', { data }))
  }

  serverCloses(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.call(this as never, new CloseEvent('close', { code, reason }))
  }
}

function setup() {
  FakeSocket.instances = []
  const timers: Array<{ run: () => void; ms: number; cancelled: boolean }> = []
  const states: ConnectionState[] = []
  const link = connectWebSocket({
    url: 'ws://127.0.0.1:4000/ipc?token=t0k',
    WebSocketImpl: FakeSocket,
    setTimer: (run, ms) => {
      const timer = { run, ms, cancelled: false }
      timers.push(timer)
      return timer
    },
    clearTimer: (timer) => {
      ;(timer as { cancelled: boolean }).cancelled = true
    },
    now: () => 1_000
  })
  link.connection.onChange((s) => states.push(s))
  const socket = (): FakeSocket => {
    const s = FakeSocket.instances.at(-1)
    if (!s) throw new Error('no socket')
    return s
  }
  const fireTimer = (): void => {
    const timer = timers.find((t) => !t.cancelled)
    if (!timer) throw new Error('no timer')
    timer.cancelled = true
    timer.run()
  }
  return { link, timers, states, socket, fireTimer }
}

describe('WebSocket transport', () => {
  it('connects to the URL with the token and sends calls made before the socket opened', async () => {
    const { link, socket } = setup()
    expect(socket().url).toBe('ws://127.0.0.1:4000/ipc?token=t0k')
    expect(link.connection.state.kind).toBe('connecting')

    const reply = link.transport.invoke('app.info', {})
    expect(socket().sent).toEqual([])
    socket().serverOpens()
    expect(link.connection.state.kind).toBe('connected')
    expect(socket().sent).toEqual([{ type: 'call', id: 1, name: 'app.info', args: {} }])

    socket().serverSends({ type: 'result', id: 1, result: { ok: true, value: { version: '1' } } })
    expect(await reply).toEqual({ ok: true, value: { version: '1' } })
  })

  it('matches replies to calls by id, whatever their order', async () => {
    const { link, socket } = setup()
    socket().serverOpens()
    const first = link.transport.invoke('outbox.list', {})
    const second = link.transport.invoke('accounts.list', {})
    const [a, b] = socket().sent
    socket().serverSends({ type: 'result', id: b!.id, result: { ok: true, value: ['accounts'] } })
    socket().serverSends({ type: 'result', id: a!.id, result: { ok: false, error: { code: 'SPOOL_IO', message: 'disk' } } })
    expect(await second).toEqual({ ok: true, value: ['accounts'] })
    expect(await first).toEqual({ ok: false, error: { code: 'SPOOL_IO', message: 'disk' } })
  })

  it('passes events to listeners and ignores garbage frames', () => {
    const { link, socket } = setup()
    socket().serverOpens()
    const seen: Array<[string, unknown]> = []
    const stop = link.transport.onEvent((name, payload) => seen.push([name, payload]))
    socket().serverSends('not json')
    socket().serverSends({ type: 'result', id: 99, result: { ok: true, value: 1 } })
    socket().serverSends({ type: 'event', name: 'outbox.changed', payload: { id: 'x' } })
    stop()
    socket().serverSends({ type: 'event', name: 'outbox.changed', payload: { id: 'y' } })
    expect(seen).toEqual([['outbox.changed', { id: 'x' }]])
  })

  it('fails every open call with TRANSPORT_CLOSED when the socket closes, then reconnects with backoff', async () => {
    const { link, socket, timers, fireTimer, states } = setup()
    socket().serverOpens()
    const open = link.transport.invoke('compose.send', { to: ['a@example.org'] })
    socket().serverCloses(1006)

    const result = await open
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('TRANSPORT_CLOSED')
      expect(result.error.details).toMatchObject({ call: 'compose.send', requestSent: true })
    }
    expect(link.connection.state).toEqual({ kind: 'reconnecting', attempt: 1, retryAt: 1_500, everConnected: true })

    // While no socket exists, a call fails at once instead of hanging.
    const meanwhile = await link.transport.invoke('outbox.list', {})
    expect(meanwhile.ok === false && meanwhile.error.code).toBe('TRANSPORT_CLOSED')

    fireTimer()
    expect(FakeSocket.instances).toHaveLength(2)
    socket().serverCloses(1006)
    expect(timers.map((t) => t.ms)).toEqual([500, 1000])
    fireTimer()
    socket().serverOpens()
    expect(states.map((s) => s.kind)).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected'])

    // After a successful reconnect the backoff starts over.
    socket().serverCloses(1006)
    expect(timers.at(-1)?.ms).toBe(500)
  })

  it('fails calls waiting for a socket that never opens, saying they were not sent', async () => {
    const { link, socket } = setup()
    const waiting = link.transport.invoke('app.info', {})
    socket().serverCloses(1006)
    const result = await waiting
    expect(result.ok === false && result.error.details).toMatchObject({ requestSent: false })
    expect(link.connection.state).toMatchObject({ kind: 'reconnecting', everConnected: false })
  })

  it('stops retrying when the server refuses the token', async () => {
    const { link, socket, timers } = setup()
    socket().serverCloses(4401, 'bad token')
    expect(link.connection.state).toEqual({ kind: 'unauthorized', reason: 'bad token' })
    expect(timers).toEqual([])
    const result = await link.transport.invoke('app.info', {})
    expect(result.ok === false && result.error.code).toBe('UNAUTHORIZED')
  })

  it('"Retry now" skips the backoff wait', () => {
    const { link, socket, timers } = setup()
    socket().serverCloses(1006)
    link.reconnectNow()
    expect(timers[0]?.cancelled).toBe(true)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('close() fails open calls and never reconnects', async () => {
    const { link, socket, timers } = setup()
    socket().serverOpens()
    const open = link.transport.invoke('outbox.list', {})
    link.close()
    expect((await open).ok).toBe(false)
    expect(socket().closedWith).toBe(1000)
    expect(timers).toEqual([])
  })

  it('backs off 0.5 s, 1 s, 2 s … up to 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000])
  })
})
