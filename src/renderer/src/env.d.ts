// Global types of the renderer: Vite's asset imports and the preload's `window.mailroomBridge` (the shared Transport).
/// <reference types="vite/client" />
import type { Transport } from '@shared/client'

declare global {
  /** What the sandboxed preload exposes with contextBridge; the renderer wraps it, never calls it from components. */
  type MailroomBridge = Transport

  interface Window {
    mailroomBridge?: MailroomBridge
  }
}

export {}
