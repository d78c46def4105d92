// The outbox as the queue reports it: outbox.list and outbox.status, live events, and the per-message operations.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { CallArgs, OutboxMessage, OutboxState, QueueStatus } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { useAppStore } from './app'
import { useMailStore } from './mail'

/** Still in the spool (waiting, retrying or held); sent and failed messages are finished. */
const ACTIVE_STATES: ReadonlySet<OutboxState> = new Set(['queued', 'deferred', 'hold'])

export const isActive = (message: OutboxMessage): boolean => ACTIVE_STATES.has(message.state)

/** Operations on one message that answer with the message as it is now. */
export type MessageOperation = 'outbox.hold' | 'outbox.release' | 'outbox.freeze' | 'outbox.thaw' | 'outbox.retry'

const OPERATION_VERBS: Record<MessageOperation | 'outbox.delete' | 'outbox.editRecipients', string> = {
  'outbox.hold': 'hold',
  'outbox.release': 'release',
  'outbox.freeze': 'freeze',
  'outbox.thaw': 'thaw',
  'outbox.retry': 'retry',
  'outbox.delete': 'delete',
  'outbox.editRecipients': 'change the recipients of'
}

export const useOutboxStore = defineStore('outbox', () => {
  const backend = useBackend()
  const app = useAppStore()
  const mail = useMailStore()
  const byId = shallowRef(new Map<string, OutboxMessage>())
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const status = shallowRef<QueueStatus | null>(null)
  const statusError = ref<ErrorInfo | null>(null)
  /** Ids with an operation on its way: their buttons wait. */
  const busy = shallowRef(new Set<string>())
  let loadSeq = 0
  /** Ids changed or removed by events while outbox.list is on its way: the event is newer than the list. */
  let changedDuringLoad: Map<string, 'changed' | 'removed'> | null = null

  /** Newest first. */
  const messages = computed(() => [...byId.value.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)))
  const activeCount = computed(() => messages.value.filter(isActive).length)
  /** The user's own addresses: deleting their own message never needs a notice to the sender. */
  const ownAddresses = computed(() => new Set([app.info?.defaultFrom, ...mail.accounts.map((a) => a.email)].filter((a): a is string => !!a).map((a) => a.toLowerCase())))

  function upsert(message: OutboxMessage): void {
    if (typeof message?.id !== 'string') return
    byId.value.set(message.id, message)
    changedDuringLoad?.set(message.id, 'changed')
    triggerRef(byId)
  }

  function forget(id: string): void {
    if (typeof id !== 'string') return
    changedDuringLoad?.set(id, 'removed')
    if (byId.value.delete(id)) triggerRef(byId)
  }

  function setStatus(next: QueueStatus): void {
    if (typeof next?.messages !== 'number') return
    status.value = next
    statusError.value = null
  }

  backend.client.on('outbox.changed', upsert)
  backend.client.on('outbox.removed', (payload) => forget(payload?.id))
  backend.client.on('queue.status', setStatus)

  async function load(): Promise<void> {
    const seq = ++loadSeq
    const changed = new Map<string, 'changed' | 'removed'>()
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
      for (const [id, what] of changed) {
        const newer = byId.value.get(id)
        if (what === 'removed') next.delete(id)
        else if (newer !== undefined) next.set(id, newer)
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

  /** The queue's fill level and online state; quiet on failure (the banner is a hint, the list is the truth). */
  async function loadStatus(): Promise<void> {
    const result = await backend.client.call('outbox.status', {})
    if (result.ok) setStatus(result.value)
    else statusError.value = result.error
  }

  function get(id: string): OutboxMessage | undefined {
    return byId.value.get(id)
  }

  function isBusy(id: string): boolean {
    return busy.value.has(id)
  }

  function setBusy(id: string, on: boolean): void {
    const next = new Set(busy.value)
    if (on) next.add(id)
    else next.delete(id)
    busy.value = next
  }

  function failure(name: keyof typeof OPERATION_VERBS, id: string, err: ErrorInfo): ErrorInfo {
    const subject = get(id)?.subject
    app.reportError(err, `Could not ${OPERATION_VERBS[name]} ${subject ? `"${subject}"` : `message ${id}`}`)
    return err
  }

  /** hold, release, freeze, thaw, retry: returns null on success, else the error (already shown as a toast). */
  async function operate(name: MessageOperation, id: string): Promise<ErrorInfo | null> {
    if (isBusy(id)) return null
    setBusy(id, true)
    try {
      const result = await backend.client.call(name, { id })
      if (!result.ok) return failure(name, id, result.error)
      upsert(result.value)
      return null
    } finally {
      setBusy(id, false)
    }
  }

  /** Deletes a message; with notifySender the sender gets a notice for the recipients not yet delivered. */
  async function remove(id: string, notifySender: boolean): Promise<ErrorInfo | null> {
    if (isBusy(id)) return null
    setBusy(id, true)
    try {
      const result = await backend.client.call('outbox.delete', { id, notifySender })
      if (!result.ok) return failure('outbox.delete', id, result.error)
      forget(id)
      return null
    } finally {
      setBusy(id, false)
    }
  }

  /** Replaces the recipients of a held message; the caller shows the error next to the form. */
  async function editRecipients(id: string, recipients: CallArgs<'outbox.editRecipients'>['recipients']): Promise<ErrorInfo | null> {
    if (isBusy(id)) return null
    setBusy(id, true)
    try {
      const result = await backend.client.call('outbox.editRecipients', { id, recipients })
      if (!result.ok) return result.error
      upsert(result.value)
      return null
    } finally {
      setBusy(id, false)
    }
  }

  /** Someone else's message (CLI, listener, local program): deleting it may owe them a notice. The null sender never gets one. */
  function senderIsSomeoneElse(message: OutboxMessage): boolean {
    return message.sender !== '' && !ownAddresses.value.has(message.sender.toLowerCase())
  }

  return {
    messages,
    activeCount,
    loading,
    loaded,
    error,
    status,
    statusError,
    busy,
    load,
    loadStatus,
    upsert,
    forget,
    get,
    isBusy,
    operate,
    remove,
    editRecipients,
    senderIsSomeoneElse
  }
})
