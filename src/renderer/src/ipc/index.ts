// Picks the transport (preload bridge inside Electron, else the token-guarded WebSocket) and builds the typed client.
import { createClient, type Transport } from '@shared/client'
import { fail } from '@shared/result'
import { WS_PATH } from '@shared/wire'
import type { Backend } from './backend'
import { createBridgeTransport } from './bridge'
import { createConnectionMonitor } from './connection'
import { MISSING_TOKEN_MESSAGE } from './messages'
import { socketUrl, takeToken, type TokenEnvironment } from './token'
import { connectWebSocket, type SocketConstructor } from './websocket'

export { backendKey, useBackend, type Backend } from './backend'
export type { ConnectionState } from './connection'

export { MISSING_TOKEN_MESSAGE } from './messages'

/** What `connectBackend` reads from the page; `window` satisfies it. */
export interface BackendEnvironment extends TokenEnvironment {
  mailroomBridge?: Transport
  location: TokenEnvironment['location'] & Pick<Location, 'protocol' | 'host'>
  WebSocket?: SocketConstructor
}

/** A transport that refuses every call: browser mode without a token can do nothing useful. */
function refusingTransport(message: string): Transport {
  return {
    invoke: async (name) => fail('UNAUTHORIZED', `${name} was not sent: ${message}`),
    onEvent: () => () => {}
  }
}

export function connectBackend(env: BackendEnvironment): Backend {
  if (env.mailroomBridge !== undefined) {
    return {
      kind: 'bridge',
      client: createClient(createBridgeTransport(env.mailroomBridge)),
      connection: createConnectionMonitor({ kind: 'connected' })
    }
  }
  const token = takeToken(env)
  if (token === null) {
    return {
      kind: 'websocket',
      client: createClient(refusingTransport(MISSING_TOKEN_MESSAGE)),
      connection: createConnectionMonitor({ kind: 'missing-token' })
    }
  }
  const link = connectWebSocket({ url: socketUrl(env.location, WS_PATH, token), WebSocketImpl: env.WebSocket })
  return {
    kind: 'websocket',
    client: createClient(link.transport),
    connection: link.connection,
    reconnectNow: link.reconnectNow
  }
}
