// The outbox as the queue reports it: outbox.list, then live upserts from 'outbox.changed'; the badge counts active messages.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { OutboxMessage, OutboxState } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { useAppStore } from './app'

/** Still in the spool (waiting, retrying or held); sent and failed messages are finished. */
const ACTIVE_STATES: ReadonlySet<OutboxState> = new Set(['queued', 'deferred', 'hold'])

export const isActive = (message: OutboxMessage): boolean => ACTIVE_STATES.has(message.state)

export const useOutboxStore = defineStore('outbox', () => {
  const backend = useBackend()
  const app = useAppStore()
  const byId = shallowRef(new Map<string, OutboxMessage>())
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  let loadSeq = 0
  /** Ids changed by events while outbox.list is on its way: the event is newer than the list. */
  let changedDuringLoad: Set<string> | null = null

  /** Newest first. */
  const messages = computed(() => [...byId.value.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)))
  const activeCount = computed(() => messages.value.filter(isActive).length)

  function upsert(message: OutboxMessage): void {
    if (typeof message?.id !== 'string') return
    byId.value.set(message.id, message)
    changedDuringLoad?.add(message.id)
    triggerRef(byId)
  }

  backend.client.on('outbox.changed', upsert)

  async function load(): Promise<void> {
    const seq = ++loadSeq
    const changed = new Set<string>()
    changedDuringLoad = changed
    loading.value = true
    try {
      const result = await backend.client.call('outbox.list', {})
      if (seq !== loadSeq) return
      if (!result.ok) {
        error.value = result.error
        app.reportError(result.error, 'Could not load the outbox')
        return
      }
      const next = new Map(result.value.map((m) => [m.id, m]))
      for (const id of changed) {
        const newer = byId.value.get(id)
        if (newer !== undefined) next.set(id, newer)
      }
      byId.value = next
      error.value = null
      loaded.value = true
    } finally {
      if (seq === loadSeq) {
        loading.value = false
        changedDuringLoad = null
      }
    }
  }

  function get(id: string): OutboxMessage | undefined {
    return byId.value.get(id)
  }

  return { messages, activeCount, loading, loaded, error, load, upsert, get }
})
