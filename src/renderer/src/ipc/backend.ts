// What the stores talk to: the typed client plus the link's connection state, provided once to the Vue app.
import { inject, type InjectionKey } from 'vue'
import type { MailroomClient } from '@shared/client'
import type { ConnectionMonitor } from './connection'

export interface Backend {
  /** 'bridge' inside Electron (preload), 'websocket' in browser mode. */
  kind: 'bridge' | 'websocket'
  client: MailroomClient
  connection: ConnectionMonitor
  /** Present when the link can be retried by hand (WebSocket): skips the backoff wait. */
  reconnectNow?: () => void
}

export const backendKey: InjectionKey<Backend> = Symbol('mailroom.backend')

/** For stores (Pinia runs setup stores inside the app's injection context). */
export function useBackend(): Backend {
  const backend = inject(backendKey, null)
  if (backend === null) throw new Error('No Mailroom backend provided: call app.provide(backendKey, connectBackend(window))')
  return backend
}
