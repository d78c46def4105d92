// Search in the open account: the query, local results from the cache at once, and "search the server too".
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { MessageSummary } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'

export type SearchScope = 'local' | 'server'

export const useSearchStore = defineStore('search', () => {
  const backend = useBackend()
  const query = ref('')
  /** The query whose results are shown (the field may have changed since). */
  const shownQuery = ref<string | null>(null)
  const scope = ref<SearchScope>('local')
  const results = shallowRef<MessageSummary[]>([])
  const loading = ref(false)
  const error = ref<ErrorInfo | null>(null)
  let seq = 0

  const active = computed(() => shownQuery.value !== null)

  /** Runs `query` in one mailbox (null: every mailbox of the account); an empty query clears the search. */
  async function run(accountId: string, mailbox: string | null, searchScope: SearchScope = 'local'): Promise<void> {
    const text = query.value.trim()
    if (text === '') {
      clear()
      return
    }
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const result = await backend.client.call('mail.search', { accountId, mailbox, query: text, scope: searchScope })
      if (mine !== seq) return
      if (result.ok) {
        results.value = result.value.messages
        scope.value = result.value.scope
        shownQuery.value = text
      } else {
        error.value = result.error
      }
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function clear(): void {
    seq += 1
    query.value = ''
    shownQuery.value = null
    results.value = []
    error.value = null
    loading.value = false
    scope.value = 'local'
  }

  /** Applies a change the mail store made (seen, deleted) to the results too. */
  function patchResults(change: (list: MessageSummary[]) => MessageSummary[]): void {
    if (results.value.length > 0) results.value = change(results.value)
  }

  return { query, shownQuery, scope, results, loading, error, active, run, clear, patchResults }
})
