// Which view the main area shows; a store instead of vue-router, since a desktop client has no URLs to share.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export type Route =
  /** Before the accounts are known: the bootstrap then opens the first inbox, or the outbox. */
  | { name: 'start' }
  /** An account's mailbox (INBOX when not given); the route keeps its name for the existing callers. */
  | { name: 'inbox'; accountId: string; mailbox?: string }
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

  /** For an inbox route, `accountId` and `mailbox` narrow the match (mailbox INBOX when the route names none). */
  function isAt(name: Route['name'], accountId?: string, mailbox?: string): boolean {
    const current = route.value
    if (current.name !== name) return false
    if (accountId === undefined) return true
    if (current.name !== 'inbox' || current.accountId !== accountId) return false
    return mailbox === undefined || (current.mailbox ?? 'INBOX') === mailbox
  }

  return { route, go, isAt }
})
