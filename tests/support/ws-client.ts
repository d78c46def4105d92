// A Node-side client of browser mode's WebSocket transport, for integration tests of the UI path without a browser.
import WebSocket from 'ws'
import { createClient, type MailroomClient, type Transport } from '../../src/shared/client'
import type { Result } from '../../src/shared/result'
import type { ServerFrame } from '../../src/shared/wire'

export interface WsClient extends MailroomClient {
  close(): void
}

export function connectWs(origin: string, token: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/ipc?token=${encodeURIComponent(token)}`, { headers: { origin } })
    const pending = new Map<number, (r: Result<unknown>) => void>()
    const listeners = new Set<(name: string, payload: unknown) => void>()
    let nextId = 1
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame
      if (frame.type === 'result') {
        pending.get(frame.id)?.(frame.result)
        pending.delete(frame.id)
      } else {
        for (const l of listeners) l(frame.name, frame.payload)
      }
    })
    const transport: Transport = {
      invoke: (name, args) => new Promise((done) => {
        const id = nextId++
        pending.set(id, done)
        ws.send(JSON.stringify({ type: 'call', id, name, args }))
      }),
      onEvent: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      }
    }
    ws.once('open', () => resolve({ ...createClient(transport), close: () => ws.close() }))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}
