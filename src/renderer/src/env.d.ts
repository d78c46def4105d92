// Global types of the renderer: the preload's `window.mailroomBridge` (exactly the shared Transport interface).
import type { Transport } from '@shared/client'

declare global {
  /** What the sandboxed preload exposes with contextBridge; the renderer wraps it, never calls it from components. */
  type MailroomBridge = Transport

  interface Window {
    mailroomBridge?: MailroomBridge
  }
}

export {}
