// Electron transport: wraps the preload's `window.mailroomBridge`; a thrown bridge error becomes a Result, never a rejection.
import type { Transport } from '@shared/client'
import { fail, type Result } from '@shared/result'

export function createBridgeTransport(bridge: Transport): Transport {
  return {
    async invoke(name: string, args: unknown): Promise<Result<unknown>> {
      try {
        return await bridge.invoke(name, args)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        return fail('TRANSPORT_CLOSED', `The call ${name} did not reach Mailroom: ${message}`)
      }
    },
    onEvent(listener) {
      return bridge.onEvent(listener)
    }
  }
}
