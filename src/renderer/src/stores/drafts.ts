// Drafts: drafts.list / drafts.save / drafts.delete (kept locally at once and copied to the Drafts mailbox by the backend).
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { CallArgs, Draft } from '@shared/contract'
import type { ErrorInfo, Result } from '@shared/result'
import { useBackend } from '../ipc/backend'

export const useDraftsStore = defineStore('drafts', () => {
  const backend = useBackend()
  const drafts = shallowRef<Draft[]>([])
  const error = ref<ErrorInfo | null>(null)

  const newestFirst = (list: Draft[]): Draft[] => [...list].sort((a, b) => b.updatedAt - a.updatedAt)

  async function load(): Promise<void> {
    const result = await backend.client.call('drafts.list', {})
    if (result.ok) {
      drafts.value = newestFirst(result.value)
      error.value = null
    } else {
      error.value = result.error
    }
  }

  async function save(args: CallArgs<'drafts.save'>): Promise<Result<Draft>> {
    const result = await backend.client.call('drafts.save', args)
    if (result.ok) drafts.value = newestFirst([result.value, ...drafts.value.filter((d) => d.id !== result.value.id)])
    return result
  }

  /** Forgets a draft here at once (sent or discarded); the backend is asked to delete it too. */
  async function remove(id: string): Promise<boolean> {
    drafts.value = drafts.value.filter((d) => d.id !== id)
    const result = await backend.client.call('drafts.delete', { id })
    return result.ok
  }

  /** A draft that compose.send deleted on the backend's side. */
  function forget(id: string): void {
    drafts.value = drafts.value.filter((d) => d.id !== id)
  }

  return { drafts, error, load, save, remove, forget }
})
