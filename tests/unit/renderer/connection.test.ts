// Transport selection, the access token from the URL, and what the user sees when there is no token or the link is down.
import { afterEach, describe, expect, it } from 'vitest'
import type { Transport } from '@shared/client'
import { ok } from '@shared/result'
import App from '../../../src/renderer/src/App.vue'
import { connectBackend, MISSING_TOKEN_MESSAGE } from '../../../src/renderer/src/ipc'
import { takeToken, TOKEN_STORAGE_KEY } from '../../../src/renderer/src/ipc/token'
import type { SocketLike } from '../../../src/renderer/src/ipc/websocket'
import { byTestId, FakeTransport, mount, settle } from './helpers'

function fakeEnv(hash: string, stored: string | null = null) {
  const storage = new Map<string, string>(stored === null ? [] : [[TOKEN_STORAGE_KEY, stored]])
  const replaced: string[] = []
  const opened: string[] = []
  class RecordingSocket implements SocketLike {
    readyState = 0
    onopen = null
    onmessage = null
    onclose = null
    onerror = null
    constructor(url: string) {
      opened.push(url)
    }
    send(): void {}
    close(): void {}
  }
  return {
    replaced,
    opened,
    storage,
    env: {
      location: { hash, pathname: '/', search: '', protocol: 'http:', host: '127.0.0.1:4242' },
      history: { state: null, replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
      sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
      WebSocket: RecordingSocket
    }
  }
}

describe('access token', () => {
  it('takes the token from #token=, removes it from the URL and keeps it for a reload', () => {
    const { env, replaced, storage } = fakeEnv('#token=abc%2Bdef')
    expect(takeToken(env)).toBe('abc+def')
    expect(replaced).toEqual(['/'])
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('abc+def')
  })

  it('uses the kept token after a reload', () => {
    const { env, replaced } = fakeEnv('', 'kept')
    expect(takeToken(env)).toBe('kept')
    expect(replaced).toEqual([])
  })

  it('returns null when there is none', () => {
    expect(takeToken(fakeEnv('').env)).toBeNull()
  })
})

describe('transport selection', () => {
  it('uses the preload bridge when window.mailroomBridge exists', async () => {
    const bridge: Transport = { invoke: async (name) => ok(name), onEvent: () => () => {} }
    const { env, opened } = fakeEnv('#token=abc')
    const backend = connectBackend({ ...env, mailroomBridge: bridge })
    expect(backend.kind).toBe('bridge')
    expect(backend.connection.state.kind).toBe('connected')
    expect(await backend.client.call('accounts.list', {})).toEqual({ ok: true, value: 'accounts.list' })
    expect(opened).toEqual([])
  })

  it('turns a throwing bridge into a TRANSPORT_CLOSED result', async () => {
    const bridge: Transport = { invoke: async () => Promise.reject(new Error('gone')), onEvent: () => () => {} }
    const backend = connectBackend({ ...fakeEnv('').env, mailroomBridge: bridge })
    const result = await backend.client.call('outbox.list', {})
    expect(result.ok === false && result.error.code).toBe('TRANSPORT_CLOSED')
  })

  it('otherwise connects a WebSocket to /ipc on the same host with the token', () => {
    const { env, opened } = fakeEnv('#token=s3cret')
    const backend = connectBackend(env)
    expect(backend.kind).toBe('websocket')
    expect(opened).toEqual(['ws://127.0.0.1:4242/ipc?token=s3cret'])
  })

  it('without a token opens no socket and refuses calls', async () => {
    const { env, opened } = fakeEnv('')
    const backend = connectBackend(env)
    expect(backend.connection.state.kind).toBe('missing-token')
    expect(opened).toEqual([])
    const result = await backend.client.call('app.info', {})
    expect(result.ok === false && result.error.message).toContain(MISSING_TOKEN_MESSAGE)
  })
})

describe('connection banner', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('tells the user to open the URL printed by `mailroom serve` when the token is missing, and hides the app', async () => {
    const transport = new FakeTransport()
    const view = mount(App, transport, { state: { kind: 'missing-token' } })
    unmount = view.unmount
    await settle()
    const banner = byTestId(view.root, 'connection-banner')
    expect(banner?.textContent).toContain('Open the URL printed by mailroom serve; it contains the access token.')
    expect(banner?.querySelector('code')?.textContent).toBe('mailroom serve')
    expect(byTestId(view.root, 'compose-button')).toBeNull()
    expect(transport.calls).toEqual([])
  })

  it('says the connection was lost while reconnecting, goes away and reloads when it is back', async () => {
    const transport = new FakeTransport()
      .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@box' })
      .reply('accounts.list', [])
      .reply('outbox.list', [])
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    expect(byTestId(view.root, 'connection-banner')).toBeNull()
    const listsBefore = transport.callsTo('outbox.list').length

    view.connection.set({ kind: 'reconnecting', attempt: 1, retryAt: Date.now() + 500, everConnected: true })
    await settle()
    expect(byTestId(view.root, 'connection-banner')?.textContent).toContain('Connection to Mailroom lost — reconnecting')
    expect(byTestId(view.root, 'compose-button')).not.toBeNull()

    view.connection.set({ kind: 'connected' })
    await settle()
    expect(byTestId(view.root, 'connection-banner')).toBeNull()
    expect(transport.callsTo('outbox.list').length).toBeGreaterThan(listsBefore)
  })
})
