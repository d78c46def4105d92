// Undo send: messages queued with an undo window, their drafts until the window closes, and outbox.undo that brings the draft back.
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { useBackend } from '../ipc/backend'
import { useComposeStore, type ComposeForm, type SendOutcome } from './compose'
import { useNavStore } from './nav'
import { useOutboxStore } from './outbox'

/** How long "too late to undo" stays on screen. */
export const TOO_LATE_MS = 6000

export interface PendingUndo {
  id: string
  /** When the message will first be tried: the end of the undo window (ms). */
  notBefore: number
  draft: ComposeForm
  /** waiting: can be undone; undoing: outbox.undo is on its way; too-late: it went out, `message` says so. */
  state: 'waiting' | 'undoing' | 'too-late'
  /** What the toast says besides the countdown (a failed undo). */
  message: string | null
  /** Dismissed toast: the draft is still kept (Undo stays in the Outbox) until the window closes. */
  hidden: boolean
}

export const useUndoStore = defineStore('undo', () => {
  const backend = useBackend()
  const compose = useComposeStore()
  const nav = useNavStore()
  const outbox = useOutboxStore()
  const entries = shallowRef<PendingUndo[]>([])
  const timers = new Map<string, ReturnType<typeof setTimeout>>()

  /** Toasts to show, oldest first. */
  const visible = computed(() => entries.value.filter((e) => !e.hidden))

  function find(id: string): PendingUndo | undefined {
    return entries.value.find((e) => e.id === id)
  }

  function update(id: string, change: Partial<PendingUndo>): void {
    entries.value = entries.value.map((e) => (e.id === id ? { ...e, ...change } : e))
  }

  function drop(id: string): void {
    clearTimeout(timers.get(id))
    timers.delete(id)
    entries.value = entries.value.filter((e) => e.id !== id)
  }

  /** Drops the entry after `ms`, unless an undo is on its way then (its answer decides). */
  function dropLater(id: string, ms: number): void {
    clearTimeout(timers.get(id))
    timers.set(id, setTimeout(() => {
      if (find(id)?.state !== 'undoing') drop(id)
    }, Math.max(0, ms)))
  }

  // Deleted elsewhere (the Outbox view, the CLI): nothing left to undo.
  backend.client.on('outbox.removed', (payload) => {
    const entry = find(payload?.id)
    if (entry !== undefined && entry.state !== 'undoing') drop(entry.id)
  })

  /** Starts an undo window for a message just queued; without a future notBefore there is nothing to undo. */
  function track(outcome: SendOutcome): void {
    if (outcome.notBefore === null || outcome.notBefore <= Date.now()) return
    const entry: PendingUndo = { id: outcome.id, notBefore: outcome.notBefore, draft: outcome.draft, state: 'waiting', message: null, hidden: false }
    entries.value = [...entries.value.filter((e) => e.id !== outcome.id), entry]
    // The draft is kept until the message leaves its not-before time; then it is the queue's.
    dropLater(outcome.id, outcome.notBefore - Date.now())
  }

  /** The Send button: queue with an undo window and show the toast. */
  async function sendWithUndo(): Promise<SendOutcome | null> {
    const outcome = await compose.send({ undo: true })
    if (outcome !== null) track(outcome)
    return outcome
  }

  /** Cancels the send and reopens the composer with the draft; true when the message was taken back. */
  async function undo(id: string): Promise<boolean> {
    const entry = find(id)
    if (entry === undefined || entry.state !== 'waiting') return false
    const { draft } = entry
    update(id, { state: 'undoing', message: null, hidden: false })
    const result = await backend.client.call('outbox.undo', { id })
    if (result.ok) {
      drop(id)
      outbox.forget(id)
      compose.restore(draft)
      nav.go({ name: 'compose' })
      return true
    }
    if (result.error.code === 'INVALID_STATE' || result.error.code === 'NOT_FOUND') {
      const subject = draft.subject ? `"${draft.subject}"` : 'The message'
      update(id, { state: 'too-late', message: `Too late to undo: ${subject} has already been sent.` })
      dropLater(id, TOO_LATE_MS)
      return false
    }
    // The link or the spool failed: the window may still be open, so let the user try again.
    const stillOpen = Date.now() < entry.notBefore
    update(id, { state: stillOpen ? 'waiting' : 'too-late', message: `Could not undo: ${result.error.message}` })
    if (!stillOpen) dropLater(id, TOO_LATE_MS)
    return false
  }

  /** Hides the toast; Undo stays available from the Outbox until the window closes. */
  function dismiss(id: string): void {
    const entry = find(id)
    if (entry === undefined) return
    if (entry.state === 'too-late') drop(id)
    else update(id, { hidden: true })
  }

  function canUndo(id: string): boolean {
    return find(id)?.state === 'waiting'
  }

  return { entries, visible, find, track, sendWithUndo, undo, dismiss, canUndo }
})
