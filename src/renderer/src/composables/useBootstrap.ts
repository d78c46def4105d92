// Starts the app: first loads, the first view, and a reload of everything after the link comes back.
import { onMounted, watch } from 'vue'
import { useAppStore } from '../stores/app'
import { useMailStore } from '../stores/mail'
import { useNavStore } from '../stores/nav'
import { useOutboxStore } from '../stores/outbox'

export function useBootstrap(): void {
  const app = useAppStore()
  const outbox = useOutboxStore()
  const mail = useMailStore()
  const nav = useNavStore()

  async function loadAll(): Promise<void> {
    await Promise.all([app.loadInfo(), outbox.load(), outbox.loadStatus(), mail.loadAccounts()])
    if (nav.route.name === 'start') {
      const first = mail.accounts[0]
      nav.go(first ? { name: 'inbox', accountId: first.id } : { name: 'outbox' })
    }
  }

  onMounted(() => {
    // Without a token nothing can be loaded; the banner explains what to do.
    if (app.banner?.blocking) return
    void loadAll()
  })

  // Events were missed while the link was down: ask again for everything on screen.
  watch(
    () => app.connection.kind,
    (kind, previous) => {
      if (kind === 'connected' && previous === 'reconnecting') {
        void loadAll()
        void mail.refresh()
      }
    }
  )
}
