// Message shapes of the browser-mode WebSocket transport and the Electron IPC channel names.
import type { Result } from './result'

export const IPC_INVOKE_CHANNEL = 'mailroom:invoke'
export const IPC_EVENT_CHANNEL = 'mailroom:event'
/** Path of the WebSocket endpoint in browser mode; the token travels as `?token=`. */
export const WS_PATH = '/ipc'

export type ClientFrame = { type: 'call'; id: number; name: string; args: unknown }
export type ServerFrame =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; name: string; payload: unknown }
