// Reading mail: the accounts, the selected account's INBOX listing and the opened message, with loading and error states.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AccountSummary, MessageSummary, MessageView } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { useAppStore } from './app'

export const INBOX = 'INBOX'
export const LIST_LIMIT = 100

/** Newest first; messages without a date last. */
const byDateDesc = (a: MessageSummary, b: MessageSummary): number => (b.date ?? -Infinity) - (a.date ?? -Infinity) || b.uid - a.uid

export const useMailStore = defineStore('mail', () => {
  const backend = useBackend()
  const app = useAppStore()

  const accounts = shallowRef<AccountSummary[]>([])
  const accountsLoading = ref(false)
  const accountsError = ref<ErrorInfo | null>(null)

  const selectedAccountId = ref<string | null>(null)
  const messages = shallowRef<MessageSummary[]>([])
  const listLoading = ref(false)
  const listError = ref<ErrorInfo | null>(null)

  const selectedUid = ref<number | null>(null)
  const message = shallowRef<MessageView | null>(null)
  const messageLoading = ref(false)
  const messageError = ref<ErrorInfo | null>(null)

  // A newer request makes an older answer stale (the user clicked on): counters drop those answers.
  let listSeq = 0
  let readSeq = 0

  const selectedAccount = computed(() => accounts.value.find((a) => a.id === selectedAccountId.value) ?? null)
  const unreadCount = computed(() => messages.value.filter((m) => !m.seen).length)

  async function loadAccounts(): Promise<void> {
    accountsLoading.value = true
    try {
      const result = await backend.client.call('accounts.list', {})
      if (result.ok) {
        accounts.value = result.value
        accountsError.value = null
      } else {
        accountsError.value = result.error
        app.reportError(result.error, 'Could not load the accounts')
      }
    } finally {
      accountsLoading.value = false
    }
  }

  async function refresh(): Promise<void> {
    const accountId = selectedAccountId.value
    if (accountId === null) return
    const seq = ++listSeq
    listLoading.value = true
    try {
      const result = await backend.client.call('mail.list', { accountId, mailbox: INBOX, limit: LIST_LIMIT })
      if (seq !== listSeq) return
      if (result.ok) {
        messages.value = [...result.value].sort(byDateDesc)
        listError.value = null
      } else {
        listError.value = result.error
      }
    } finally {
      if (seq === listSeq) listLoading.value = false
    }
  }

  function closeMessage(): void {
    readSeq += 1
    selectedUid.value = null
    message.value = null
    messageError.value = null
    messageLoading.value = false
  }

  /** Opens an account's INBOX; selecting the open account again just refreshes it. */
  async function selectAccount(accountId: string): Promise<void> {
    if (selectedAccountId.value !== accountId) {
      selectedAccountId.value = accountId
      messages.value = []
      listError.value = null
      closeMessage()
    }
    await refresh()
  }

  async function openMessage(uid: number): Promise<void> {
    const accountId = selectedAccountId.value
    if (accountId === null) return
    const seq = ++readSeq
    selectedUid.value = uid
    message.value = null
    messageError.value = null
    messageLoading.value = true
    try {
      const result = await backend.client.call('mail.read', { accountId, mailbox: INBOX, uid })
      if (seq !== readSeq) return
      if (result.ok) {
        message.value = result.value
        // Reading marks it seen on the server; show that without listing again.
        messages.value = messages.value.map((m) => (m.uid === uid && !m.seen ? { ...m, seen: true } : m))
      } else {
        messageError.value = result.error
      }
    } finally {
      if (seq === readSeq) messageLoading.value = false
    }
  }

  return {
    accounts,
    accountsLoading,
    accountsError,
    selectedAccountId,
    selectedAccount,
    messages,
    unreadCount,
    listLoading,
    listError,
    selectedUid,
    message,
    messageLoading,
    messageError,
    loadAccounts,
    selectAccount,
    refresh,
    openMessage,
    closeMessage
  }
})
