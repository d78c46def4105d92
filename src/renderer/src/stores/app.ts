// App-wide state: what app.info says, the backend connection state, and the last error shown as a toast.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { CallResult } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import type { ConnectionState } from '../ipc/connection'
import { MISSING_TOKEN_MESSAGE } from '../ipc/messages'

export type AppInfo = CallResult<'app.info'>

export interface Toast {
  id: number
  text: string
  code: string
}

export interface Banner {
  tone: 'warning' | 'error'
  text: string
  /** The app cannot work at all (no or refused token): hide everything else. */
  blocking: boolean
  canRetry: boolean
}

function bannerFor(state: ConnectionState, canRetry: boolean): Banner | null {
  switch (state.kind) {
    case 'connected':
    case 'connecting':
      return null
    case 'reconnecting':
      return state.everConnected
        ? { tone: 'warning', text: 'Connection to Mailroom lost — reconnecting…', blocking: false, canRetry }
        : {
            tone: 'warning',
            text: 'Cannot reach Mailroom — retrying… If `mailroom serve` was restarted, open the new URL it printed.',
            blocking: false,
            canRetry
          }
    case 'missing-token':
      return { tone: 'error', text: `No access token. ${MISSING_TOKEN_MESSAGE}`, blocking: true, canRetry: false }
    case 'unauthorized':
      return { tone: 'error', text: `Mailroom refused the access token (${state.reason}). ${MISSING_TOKEN_MESSAGE}`, blocking: true, canRetry: false }
  }
}

export const useAppStore = defineStore('app', () => {
  const backend = useBackend()
  const info = ref<AppInfo | null>(null)
  const connection = shallowRef<ConnectionState>(backend.connection.state)
  const toast = ref<Toast | null>(null)
  let toastSeq = 0

  // The store lives as long as the app, and so does this subscription.
  backend.connection.onChange((state) => {
    connection.value = state
  })

  const connected = computed(() => connection.value.kind === 'connected')
  const banner = computed(() => bannerFor(connection.value, backend.reconnectNow !== undefined))

  /** Shows an error to the user; link failures are left to the connection banner, which already says it. */
  function reportError(error: ErrorInfo, context?: string): void {
    if ((error.code === 'TRANSPORT_CLOSED' || error.code === 'UNAUTHORIZED') && banner.value !== null) return
    toastSeq += 1
    toast.value = { id: toastSeq, text: context ? `${context}: ${error.message}` : error.message, code: error.code }
  }

  function dismissToast(id?: number): void {
    if (id === undefined || toast.value?.id === id) toast.value = null
  }

  async function loadInfo(): Promise<void> {
    const result = await backend.client.call('app.info', {})
    if (result.ok) info.value = result.value
    else reportError(result.error, 'Could not read the app information')
  }

  function reconnectNow(): void {
    backend.reconnectNow?.()
  }

  return { info, connection, connected, banner, toast, reportError, dismissToast, loadInfo, reconnectNow }
})
