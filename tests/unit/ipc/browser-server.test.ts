// Browser mode's HTTP + WebSocket server on loopback: token and origin checks, static files, calls and pushed events.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBrowserServer, type BrowserServer } from '../../../src/main/ipc/browser-server'
import { EventHub } from '../../../src/main/ipc/events'
import { memoryLogger } from '../../../src/main/log/logger'
import { ok } from '../../../src/shared/result'

let server: BrowserServer
const events = new EventHub()

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-renderer-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Mailroom</title>')
  server = await startBrowserServer({
    rendererDir: dir,
    dispatch: async (name, args) => ok({ name, args }),
    events,
    log: memoryLogger()
  })
})
afterAll(() => server.close())

function open(path: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only and prints a URL that carries the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=[A-Za-z0-9_-]{43}$`))
  })

  it('serves the renderer with a CSP and refuses other hosts (DNS rebinding) and paths outside it', async () => {
    const page = await fetch(`${server.origin}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await page.text()).toContain('<title>Mailroom</title>')
    // fetch() may not set Host, so this one goes through node:http.
    const rebound = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/', headers: { host: 'evil.example:80' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    expect(rebound).toBe(421)
    const traversal = await fetch(`${server.origin}/..%2f..%2fetc%2fpasswd`)
    expect([403, 404]).toContain(traversal.status)
    expect((await fetch(`${server.origin}/`, { method: 'POST' })).status).toBe(405)
  })

  it('refuses a WebSocket without the token, with a wrong token, or from another origin', async () => {
    await expect(open('/ipc', { origin: server.origin })).rejects.toThrow('HTTP 401')
    await expect(open('/ipc?token=wrong', { origin: server.origin })).rejects.toThrow('HTTP 401')
    await expect(open(`/ipc?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    await expect(open(`/ipc?token=${server.token}`, {})).rejects.toThrow('HTTP 403')
  })

  it('answers calls and pushes events to an authenticated page', async () => {
    const ws = await open(`/ipc?token=${server.token}`, { origin: server.origin })
    const frames: unknown[] = []
    const got = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        frames.push(JSON.parse(data.toString()))
        if (frames.length === 2) resolve()
      })
    })
    ws.send(JSON.stringify({ type: 'call', id: 7, name: 'outbox.list', args: {} }))
    await new Promise((r) => setTimeout(r, 50))
    events.emit('outbox.changed', { id: 'Q1', createdAt: 1, origin: 'ui', sender: 'a@b', subject: 's', size: 1, state: 'queued', recipients: [] })
    await got
    expect(frames).toContainEqual({ type: 'result', id: 7, result: { ok: true, value: { name: 'outbox.list', args: {} } } })
    expect(frames).toContainEqual(expect.objectContaining({ type: 'event', name: 'outbox.changed' }))
    ws.close()
  })

  it('closes the socket on a frame that is not JSON', async () => {
    const ws = await open(`/ipc?token=${server.token}`, { origin: server.origin })
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c) => resolve(c))
      ws.send('not json')
    })
    expect(code).toBe(1007)
  })
})
