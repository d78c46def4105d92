// The delivery check (route.check): runs the preflight for a sender and keeps the last report for the view.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { RouteCheckReport } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'

export const useRouteCheckStore = defineStore('routeCheck', () => {
  const backend = useBackend()
  const report = shallowRef<RouteCheckReport | null>(null)
  const running = ref(false)
  const error = ref<ErrorInfo | null>(null)
  let seq = 0

  /** Runs the checks (a few seconds: real connections and DNS); `from` empty → the default sender. */
  async function run(from?: string): Promise<void> {
    const mine = ++seq
    running.value = true
    error.value = null
    try {
      const sender = from?.trim() ?? ''
      const result = await backend.client.call('route.check', sender === '' ? {} : { from: sender })
      if (mine !== seq) return
      if (result.ok) report.value = result.value
      else error.value = result.error
    } finally {
      if (mine === seq) running.value = false
    }
  }

  return { report, running, error, run }
})
