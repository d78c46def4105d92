// Reading mail: accounts, the open mailbox's message list (paged, threaded), the selection and the opened message.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AccountSummary, MessageSummary, MessageView } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { newestFirst, rowKey, threadRows, type ListRow } from '../util/threads'
import { useAppStore } from './app'
import { useFoldersStore } from './folders'
import { useSearchStore } from './search'

export const INBOX = 'INBOX'
/** One page of mail.list; scrolling near the end asks for the next. */
export const LIST_LIMIT = 200

export const useMailStore = defineStore('mail', () => {
  const backend = useBackend()
  const app = useAppStore()
  const search = useSearchStore()
  const folders = useFoldersStore()

  const accounts = shallowRef<AccountSummary[]>([])
  const accountsLoading = ref(false)
  const accountsError = ref<ErrorInfo | null>(null)

  const selectedAccountId = ref<string | null>(null)
  const selectedMailbox = ref(INBOX)
  const messages = shallowRef<MessageSummary[]>([])
  const listLoading = ref(false)
  const listError = ref<ErrorInfo | null>(null)
  /** False once a page came back shorter than asked: the whole mailbox is listed. */
  const hasMore = ref(false)

  const threaded = ref(true)
  const expanded = shallowRef(new Set<string>())

  const selectedUid = ref<number | null>(null)
  /** The mailbox of the opened message (search results may come from another one). */
  const openedMailbox = ref(INBOX)
  const message = shallowRef<MessageView | null>(null)
  const messageLoading = ref(false)
  const messageError = ref<ErrorInfo | null>(null)

  // A newer request makes an older answer stale (the user clicked on): counters drop those answers.
  let listSeq = 0
  let readSeq = 0

  const selectedAccount = computed(() => accounts.value.find((a) => a.id === selectedAccountId.value) ?? null)
  const unreadCount = computed(() => messages.value.filter((m) => !m.seen).length)
  /** What the list shows: search results while a search is on, else the mailbox; threads grouped. */
  const rows = computed<ListRow[]>(() => threadRows(search.active ? search.results : messages.value, expanded.value, threaded.value && !search.active))
  const selectedKey = computed(() => {
    if (selectedUid.value === null) return null
    const inList = (search.active ? search.results : messages.value).find((m) => m.uid === selectedUid.value && (m.mailbox ?? selectedMailbox.value) === openedMailbox.value)
    return inList === undefined ? null : rowKey(inList)
  })

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

  async function loadPage(offset: number): Promise<void> {
    const accountId = selectedAccountId.value
    if (accountId === null) return
    const seq = ++listSeq
    listLoading.value = true
    try {
      const result = await backend.client.call('mail.list', { accountId, mailbox: selectedMailbox.value, offset, limit: LIST_LIMIT })
      if (seq !== listSeq) return
      if (result.ok) {
        const page = result.value
        const merged = offset === 0 ? page : [...messages.value.filter((m) => !page.some((p) => p.uid === m.uid)), ...page]
        messages.value = [...merged].sort(newestFirst)
        hasMore.value = page.length >= LIST_LIMIT
        listError.value = null
      } else {
        listError.value = result.error
      }
    } finally {
      if (seq === listSeq) listLoading.value = false
    }
  }

  /** Lists the open mailbox again from the top (after a change, or by hand). */
  function refresh(): Promise<void> {
    return loadPage(0)
  }

  /** The next page, when the list is scrolled near its end. */
  async function loadMore(): Promise<void> {
    if (!hasMore.value || listLoading.value) return
    await loadPage(messages.value.length)
  }

  function closeMessage(): void {
    readSeq += 1
    selectedUid.value = null
    message.value = null
    messageError.value = null
    messageLoading.value = false
  }

  /** Opens a mailbox (INBOX by default); opening the open one again just refreshes it. */
  async function selectMailbox(accountId: string, mailbox: string = INBOX): Promise<void> {
    if (selectedAccountId.value !== accountId || selectedMailbox.value !== mailbox) {
      selectedAccountId.value = accountId
      selectedMailbox.value = mailbox
      messages.value = []
      listError.value = null
      hasMore.value = false
      expanded.value = new Set()
      search.clear()
      closeMessage()
    }
    await refresh()
  }

  const selectAccount = (accountId: string): Promise<void> => selectMailbox(accountId, INBOX)

  function summaryOf(uid: number, mailbox: string): MessageSummary | undefined {
    const match = (m: MessageSummary): boolean => m.uid === uid && (m.mailbox ?? selectedMailbox.value) === mailbox
    return messages.value.find(match) ?? search.results.find(match)
  }

  function patchSummary(uid: number, mailbox: string, change: Partial<MessageSummary>): void {
    const patch = (list: MessageSummary[]): MessageSummary[] => list.map((m) => (m.uid === uid && (m.mailbox ?? selectedMailbox.value) === mailbox ? { ...m, ...change } : m))
    messages.value = patch(messages.value)
    search.patchResults(patch)
  }

  function dropSummaries(uids: readonly number[], mailbox: string): void {
    const keep = (m: MessageSummary): boolean => !(uids.includes(m.uid) && (m.mailbox ?? selectedMailbox.value) === mailbox)
    messages.value = messages.value.filter(keep)
    search.patchResults((list) => list.filter(keep))
  }

  async function openMessage(uid: number, mailbox: string = selectedMailbox.value): Promise<void> {
    const accountId = selectedAccountId.value
    if (accountId === null) return
    const seq = ++readSeq
    selectedUid.value = uid
    openedMailbox.value = mailbox
    message.value = null
    messageError.value = null
    messageLoading.value = true
    try {
      const result = await backend.client.call('mail.read', { accountId, mailbox, uid })
      if (seq !== readSeq) return
      if (result.ok) {
        message.value = result.value
        // Reading marks it seen on the server; show that without listing again.
        if (summaryOf(uid, mailbox)?.seen === false) folders.adjustUnread(accountId, mailbox, -1)
        patchSummary(uid, mailbox, { seen: true })
      } else {
        messageError.value = result.error
      }
    } finally {
      if (seq === readSeq) messageLoading.value = false
    }
  }

  /** Opens the row `step` rows away from the selected one (j/k); the first row when nothing is selected. */
  async function step(by: 1 | -1): Promise<void> {
    const list = rows.value
    if (list.length === 0) return
    const at = list.findIndex((r) => r.key === selectedKey.value)
    const next = at === -1 ? list[0] : list[Math.min(list.length - 1, Math.max(0, at + by))]
    if (next === undefined || next.key === selectedKey.value) return
    await openMessage(next.message.uid, next.message.mailbox ?? selectedMailbox.value)
  }

  function toggleThread(threadKey: string): void {
    const next = new Set(expanded.value)
    if (!next.delete(threadKey)) next.add(threadKey)
    expanded.value = next
  }

  /** Marks the opened message unread (u) and closes it, so reading does not mark it seen again. */
  async function markUnread(): Promise<boolean> {
    const accountId = selectedAccountId.value
    const uid = selectedUid.value
    if (accountId === null || uid === null) return false
    const mailbox = openedMailbox.value
    patchSummary(uid, mailbox, { seen: false })
    folders.adjustUnread(accountId, mailbox, 1)
    const result = await backend.client.call('mail.setFlags', { accountId, mailbox, uids: [uid], remove: ['\\Seen'] })
    if (!result.ok) {
      patchSummary(uid, mailbox, { seen: true })
      folders.adjustUnread(accountId, mailbox, -1)
      app.reportError(result.error, 'Could not mark the message unread')
      return false
    }
    closeMessage()
    return true
  }

  /** Deletes the opened message (#): to the Trash, or for good in the Trash; the next message opens. */
  async function deleteOpened(): Promise<boolean> {
    const accountId = selectedAccountId.value
    const uid = selectedUid.value
    if (accountId === null || uid === null) return false
    const mailbox = openedMailbox.value
    const list = rows.value
    const at = list.findIndex((r) => r.key === selectedKey.value)
    const result = await backend.client.call('mail.delete', { accountId, mailbox, uids: [uid] })
    if (!result.ok) {
      app.reportError(result.error, 'Could not delete the message')
      return false
    }
    dropSummaries([uid], mailbox)
    closeMessage()
    const next = rows.value[Math.min(Math.max(at, 0), rows.value.length - 1)]
    if (next !== undefined && at !== -1) await openMessage(next.message.uid, next.message.mailbox ?? selectedMailbox.value)
    return true
  }

  // Something changed in a mailbox on screen: list it again (the selection and the open message stay).
  const onScreen = (payload: { accountId?: string; mailbox?: string } | undefined): boolean =>
    payload?.accountId === selectedAccountId.value && payload.mailbox === selectedMailbox.value
  backend.client.on('mail.changed', (payload) => {
    if (onScreen(payload)) void refresh()
  })
  backend.client.on('mail.newMail', (payload) => {
    if (onScreen(payload)) void refresh()
  })

  return {
    accounts,
    accountsLoading,
    accountsError,
    selectedAccountId,
    selectedAccount,
    selectedMailbox,
    messages,
    rows,
    threaded,
    expanded,
    unreadCount,
    listLoading,
    listError,
    hasMore,
    selectedUid,
    selectedKey,
    openedMailbox,
    message,
    messageLoading,
    messageError,
    loadAccounts,
    selectAccount,
    selectMailbox,
    refresh,
    loadMore,
    openMessage,
    closeMessage,
    step,
    toggleThread,
    markUnread,
    deleteOpened
  }
})
