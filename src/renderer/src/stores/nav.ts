// Which view the main area shows; a store instead of vue-router, since a desktop client has no URLs to share.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export type Route =
  /** Before the accounts are known: the bootstrap then opens the first inbox, or the outbox. */
  | { name: 'start' }
  | { name: 'inbox'; accountId: string }
  | { name: 'outbox' }
  | { name: 'compose' }
  /** The preflight: can this computer deliver directly, or does it need a smart host. */
  | { name: 'delivery-check' }
  /** Aliases, .forward and out-of-office editors with the expansion preview. */
  | { name: 'rules' }
  /** Add, edit and remove accounts. */
  | { name: 'accounts' }

export const useNavStore = defineStore('nav', () => {
  const route = ref<Route>({ name: 'start' })

  function go(next: Route): void {
    route.value = next
  }

  function isAt(name: Route['name'], accountId?: string): boolean {
    const current = route.value
    if (current.name !== name) return false
    return accountId === undefined || (current.name === 'inbox' && current.accountId === accountId)
  }

  return { route, go, isAt }
})
