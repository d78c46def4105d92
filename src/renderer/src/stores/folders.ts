// The folder tree of each account with roles and unread counts (mail.folders), refreshed on mail.changed / mail.newMail.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { FolderInfo } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'

/** Shown while the folder list is unknown (or cannot be had): the INBOX every account has. */
export const INBOX_ONLY: readonly FolderInfo[] = [
  { path: 'INBOX', name: 'Inbox', parent: null, delimiter: null, role: 'inbox', selectable: true, total: 0, unread: 0 }
]

/** Special folders first in this order, then the others by name. */
const ROLE_ORDER = ['inbox', 'drafts', 'sent', 'archive', 'flagged', 'all', 'junk', 'trash'] as const

export function sortFolders(folders: readonly FolderInfo[]): FolderInfo[] {
  const rank = (f: FolderInfo): number => (f.role === null ? ROLE_ORDER.length : ROLE_ORDER.indexOf(f.role))
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path))
}

/** Nesting depth from the delimiter, for indentation. */
export function folderDepth(folder: FolderInfo): number {
  return folder.delimiter ? folder.path.split(folder.delimiter).length - 1 : 0
}

export const useFoldersStore = defineStore('folders', () => {
  const backend = useBackend()
  const byAccount = shallowRef<Record<string, FolderInfo[]>>({})
  const errors = ref<Record<string, ErrorInfo | null>>({})
  const loading = new Map<string, Promise<void>>()

  function foldersOf(accountId: string): readonly FolderInfo[] {
    return byAccount.value[accountId] ?? INBOX_ONLY
  }

  function unreadOf(accountId: string, path = 'INBOX'): number {
    return foldersOf(accountId).find((f) => f.path === path)?.unread ?? 0
  }

  /** Loads an account's folders; one load at a time per account. A refusal keeps the INBOX-only list and says why. */
  function load(accountId: string): Promise<void> {
    const running = loading.get(accountId)
    if (running !== undefined) return running
    const work = (async () => {
      try {
        const result = await backend.client.call('mail.folders', { accountId })
        if (result.ok) {
          byAccount.value = { ...byAccount.value, [accountId]: sortFolders(result.value) }
          errors.value = { ...errors.value, [accountId]: null }
        } else {
          errors.value = { ...errors.value, [accountId]: result.error }
        }
      } finally {
        loading.delete(accountId)
      }
    })()
    loading.set(accountId, work)
    return work
  }

  /** Optimistic count change (a message read or marked unread), until the next load says otherwise. */
  function adjustUnread(accountId: string, path: string, delta: number): void {
    const list = byAccount.value[accountId]
    if (list === undefined) return
    byAccount.value = { ...byAccount.value, [accountId]: list.map((f) => (f.path === path ? { ...f, unread: Math.max(0, f.unread + delta) } : f)) }
  }

  backend.client.on('mail.changed', (payload) => {
    if (typeof payload?.accountId === 'string' && byAccount.value[payload.accountId] !== undefined) void load(payload.accountId)
  })
  backend.client.on('mail.newMail', (payload) => {
    if (typeof payload?.accountId === 'string') void load(payload.accountId)
  })

  return { byAccount, errors, foldersOf, unreadOf, load, adjustUnread }
})
