// Browser mode: serves the built renderer on 127.0.0.1 and carries the IPC contract over a token-guarded WebSocket.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { WS_PATH, type ClientFrame, type ServerFrame } from '../../shared/wire'
import { WS_AUTH_TIMEOUT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'
import type { Dispatch } from './dispatch'
import type { EventHub } from './events'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

/** Same policy as the renderer's meta CSP; sent as a header too so it also covers non-HTML responses. */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: http: https:; " +
  "connect-src 'self' ws://127.0.0.1:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/** Upper bound of one WebSocket frame: a composed message with its text fits well below it. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024

export interface BrowserServerOptions {
  rendererDir: string
  dispatch: Dispatch
  events: EventHub
  log: Logger
  /** 0 (default) picks a random free port. */
  port?: number
  /** Injected for tests; default 32 random bytes. */
  token?: string
}

export interface BrowserServer {
  url: string
  origin: string
  port: number
  token: string
  close(): Promise<void>
}

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  res.end(text + '\n')
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(32).toString('base64url')
  const root = resolve(options.rendererDir)
  let allowedHosts: Set<string> = new Set()
  let origin = ''

  const server: Server = createServer((req, res) => {
    void serveStatic(req, res)
  })

  /** Host header check: a DNS-rebinding page on another name cannot talk to us. */
  const hostAllowed = (req: IncomingMessage): boolean => allowedHosts.has((req.headers.host ?? '').toLowerCase())

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) return refuse(res, 421, 'Misdirected request: Mailroom only answers on 127.0.0.1')
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed')
    const url = new URL(req.url ?? '/', origin)
    let pathname: string
    try {
      pathname = decodeURIComponent(url.pathname)
    } catch {
      return refuse(res, 400, 'Bad request path')
    }
    if (pathname.includes('\0')) return refuse(res, 400, 'Bad request path')
    const relative = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^([/\\])+/, '')
    const file = join(root, relative)
    if (file !== root && !file.startsWith(root + sep)) return refuse(res, 403, 'Forbidden')
    try {
      const info = await stat(file)
      if (!info.isFile()) return refuse(res, 404, 'Not found')
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'content-security-policy': RENDERER_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cache-control': relative === 'index.html' ? 'no-store' : 'max-age=3600'
      })
      if (req.method === 'HEAD') return void res.end()
      createReadStream(file).pipe(res)
    } catch {
      refuse(res, 404, relative === 'index.html' ? 'The renderer is not built: run `npm run build`' : 'Not found')
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  const clients = new Set<WebSocket>()

  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, reason: string): void => {
      options.log.warn('browser', `refused WebSocket from ${req.socket.remoteAddress ?? '?'}: ${reason}`)
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    const url = new URL(req.url ?? '/', origin)
    if (!hostAllowed(req)) return reject(421, 'Misdirected Request')
    if (url.pathname !== WS_PATH) return reject(404, 'Not Found')
    const requestOrigin = req.headers.origin
    if (requestOrigin === undefined || !allowedOrigins.has(requestOrigin.toLowerCase())) return reject(403, 'Forbidden Origin')
    const given = url.searchParams.get('token')
    if (given === null || !tokensEqual(given, token)) return reject(401, 'Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws)
    const send = (frame: ServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
    }
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text frames only')
      let frame: ClientFrame
      try {
        frame = JSON.parse(data.toString()) as ClientFrame
      } catch {
        return ws.close(1007, 'invalid JSON')
      }
      if (frame?.type !== 'call' || typeof frame.id !== 'number') return ws.close(1008, 'unexpected frame')
      void options.dispatch(frame.name, frame.args).then((result) => send({ type: 'result', id: frame.id, result }))
    })
    ws.on('close', () => clients.delete(ws))
    ws.on('error', () => clients.delete(ws))
  })

  const unsubscribe = options.events.subscribe((name, payload) => {
    const text = JSON.stringify({ type: 'event', name, payload } satisfies ServerFrame)
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text)
  })

  let allowedOrigins = new Set<string>()
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  const port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`])
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])
  server.headersTimeout = WS_AUTH_TIMEOUT_MS
  server.requestTimeout = WS_AUTH_TIMEOUT_MS

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe()
      for (const ws of clients) ws.terminate()
      wss.close()
      const closed = new Promise<void>((done) => server.close(() => done()))
      server.closeAllConnections()
      await closed
    }
  }
}
