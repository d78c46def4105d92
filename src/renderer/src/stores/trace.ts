// Per-message traces (outbox.trace): loaded when a row's Trace is opened, reloaded on outbox.changed for that id while open.
import { defineStore } from 'pinia'
import { shallowRef, triggerRef } from 'vue'
import type { TraceEntry } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'

export interface TraceState {
  entries: TraceEntry[]
  loading: boolean
  loaded: boolean
  error: ErrorInfo | null
}

const EMPTY: TraceState = { entries: [], loading: false, loaded: false, error: null }

export const useTraceStore = defineStore('trace', () => {
  const backend = useBackend()
  const traces = shallowRef(new Map<string, TraceState>())
  /** Open traces (a count per id: the same message may be shown twice). */
  const watchers = new Map<string, number>()
  /** Ids with a load on its way, and whether another change arrived meanwhile (then it loads once more). */
  const inFlight = new Map<string, { again: boolean }>()

  function set(id: string, next: Partial<TraceState>): void {
    traces.value.set(id, { ...(traces.value.get(id) ?? EMPTY), ...next })
    triggerRef(traces)
  }

  async function load(id: string): Promise<void> {
    const running = inFlight.get(id)
    if (running !== undefined) {
      running.again = true
      return
    }
    const state = { again: false }
    inFlight.set(id, state)
    set(id, { loading: true })
    try {
      const result = await backend.client.call('outbox.trace', { id })
      if (result.ok) set(id, { entries: result.value, loaded: true, error: null })
      else set(id, { error: result.error })
    } finally {
      inFlight.delete(id)
      set(id, { loading: false })
    }
    if (state.again && watchers.has(id)) await load(id)
  }

  /** Shows the trace of `id` and keeps it current; call the returned function when it is hidden. */
  function watch(id: string): () => void {
    watchers.set(id, (watchers.get(id) ?? 0) + 1)
    void load(id)
    let done = false
    return () => {
      if (done) return
      done = true
      const left = (watchers.get(id) ?? 1) - 1
      if (left > 0) watchers.set(id, left)
      else watchers.delete(id)
    }
  }

  function get(id: string): TraceState {
    return traces.value.get(id) ?? EMPTY
  }

  backend.client.on('outbox.changed', (message) => {
    const id = message?.id
    if (typeof id === 'string' && watchers.has(id)) void load(id)
  })

  return { traces, get, load, watch }
})
