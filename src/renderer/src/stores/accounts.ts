// Accounts: the list, where passwords are kept, discovery, the connection test and add/edit/remove.
// After every change the mail store reloads its account list (the sidebar's inboxes).
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { AccountDetails, AccountSettings, AccountSummary, ConnectionTestResult, DiscoveryResult, SecretStorageInfo } from '@shared/contract'
import type { ErrorInfo, Result } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { useMailStore } from './mail'

export const LOCAL_ACCOUNT_ID = 'local'

export const useAccountsStore = defineStore('accounts', () => {
  const backend = useBackend()
  const mail = useMailStore()

  const accounts = shallowRef<AccountSummary[]>([])
  const secretStorage = shallowRef<SecretStorageInfo | null>(null)
  const loading = ref(false)
  const error = ref<ErrorInfo | null>(null)

  function setList(list: AccountSummary[]): void {
    accounts.value = list.filter((a) => a.id !== LOCAL_ACCOUNT_ID)
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      const [list, storage] = await Promise.all([backend.client.call('accounts.list', {}), backend.client.call('accounts.secretStorage', {})])
      if (list.ok) setList(list.value)
      if (storage.ok) secretStorage.value = storage.value
      error.value = !list.ok ? list.error : !storage.ok ? storage.error : null
    } finally {
      loading.value = false
    }
  }

  /** Another window (or this one) changed the accounts. */
  backend.client.on('accounts.changed', (payload) => {
    if (payload !== undefined) setList(payload.accounts)
    void mail.loadAccounts()
  })

  const get = (id: string): Promise<Result<AccountDetails>> => backend.client.call('accounts.get', { id })
  const discover = (email: string): Promise<Result<DiscoveryResult>> => backend.client.call('accounts.discover', { email })

  function test(settings: AccountSettings, password: string, accountId?: string): Promise<Result<ConnectionTestResult>> {
    return backend.client.call('accounts.test', {
      settings,
      ...(password !== '' ? { password } : {}),
      ...(accountId !== undefined ? { accountId } : {})
    })
  }

  async function afterChange<T>(result: Result<T>): Promise<Result<T>> {
    if (result.ok) {
      await load()
      await mail.loadAccounts()
    }
    return result
  }

  async function add(settings: AccountSettings, password: string, allowWeakSecretStorage: boolean): Promise<Result<AccountDetails>> {
    return afterChange(await backend.client.call('accounts.add', { settings, password, allowWeakSecretStorage }))
  }

  async function update(id: string, settings: AccountSettings, password: string, allowWeakSecretStorage: boolean): Promise<Result<AccountDetails>> {
    return afterChange(await backend.client.call('accounts.update', { id, settings, allowWeakSecretStorage, ...(password !== '' ? { password } : {}) }))
  }

  async function remove(id: string): Promise<Result<{ removed: boolean }>> {
    return afterChange(await backend.client.call('accounts.remove', { id }))
  }

  return { accounts, secretStorage, loading, error, load, get, discover, test, add, update, remove }
})
