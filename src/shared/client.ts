// The renderer-side typed client over any transport; the renderer uses this, never a transport directly.
import type { CallArgs, CallName, CallResult, EventName, EventPayload } from './contract'
import type { Result } from './result'

/** What a transport (Electron preload bridge or loopback WebSocket) must provide. */
export interface Transport {
  invoke(name: string, args: unknown): Promise<Result<unknown>>
  onEvent(listener: (name: string, payload: unknown) => void): () => void
}

export interface MailroomClient {
  call<N extends CallName>(name: N, args: CallArgs<N>): Promise<Result<CallResult<N>>>
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void
}

export function createClient(transport: Transport): MailroomClient {
  return {
    call: (name, args) => transport.invoke(name, args) as never,
    on: (name, listener) =>
      transport.onEvent((eventName, payload) => {
        if (eventName === name) listener(payload as never)
      })
  }
}
