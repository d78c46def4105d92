// The compose form: fields, reply headers, attachments, per-field validation, draft autosave, compose.send (now, undo, later).
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { CallArgs } from '@shared/contract'
import { useBackend } from '../ipc/backend'
import { parseRecipients } from '../util/recipients'
import { describeSendFailure, MAX_SUBJECT, MAX_TEXT, validateCompose, type ComposeField, type ComposeForm, type FieldErrors } from '../util/composeRules'
import { useAppStore } from './app'
import { useDraftsStore } from './drafts'
import { useMailStore } from './mail'
import { checkAttachments, readAttachment, type ComposeAttachment } from '../util/attachments'

export { describeSendFailure, MAX_SUBJECT, MAX_TEXT, validateCompose }
export type { ComposeField, ComposeForm, FieldErrors }

const FIELDS: readonly ComposeField[] = ['from', 'to', 'cc', 'bcc', 'subject', 'body']

/** Quiet time after the last keystroke before the draft is saved. */
export const DRAFT_AUTOSAVE_MS = 2000

/** What a message carries besides its fields: threading headers (replies), the draft it was written in, attachments, the account. */
export interface ComposeExtras {
  accountId: string | null
  inReplyTo: string | null
  references: string[]
  draftId: string | null
  attachments: ComposeAttachment[]
}

/** An address the user may send from, and the account it belongs to. */
export interface Identity {
  accountId: string
  email: string
  name?: string
}

const noExtras = (): ComposeExtras => ({ accountId: null, inReplyTo: null, references: [], draftId: null, attachments: [] })

/** How to send: now with an undo window (the default of the Send button), or not before `sendAt`. */
export interface SendOptions {
  undo?: boolean
  sendAt?: number | null
}

/** What was queued: the id, when it will first be tried (undo deadline or send-later time), and the form as it was. */
export interface SendOutcome {
  id: string
  notBefore: number | null
  /** The form as sent; `extras` (reply headers, attachments) when there were any, so undo brings them back. */
  draft: ComposeForm & { extras?: ComposeExtras }
}

export const useComposeStore = defineStore('compose', () => {
  const backend = useBackend()
  const app = useAppStore()
  const form = reactive<ComposeForm>({ from: '', to: '', cc: '', bcc: '', subject: '', body: '' })
  const touched = reactive<Record<ComposeField, boolean>>({ from: false, to: false, cc: false, bcc: false, subject: false, body: false })
  const submitted = ref(false)
  const sending = ref(false)
  const serverError = ref<string | null>(null)
  const extras = shallowRef<ComposeExtras>(noExtras())
  const attachmentError = ref<string | null>(null)
  /** idle, saving, saved (with the time), failed (with the reason): shown beside the buttons. */
  const draftState = ref<{ kind: 'idle' | 'saving' | 'saved' | 'failed'; at?: number; reason?: string }>({ kind: 'idle' })
  const drafts = useDraftsStore()
  const mail = useMailStore()
  let autosaveTimer: ReturnType<typeof setTimeout> | undefined
  /** Bumped by reset/restore/send: a save answer from before belongs to another message. */
  let generation = 0
  /** Programmatic fills (reply, restore) are not edits: they do not start an autosave by themselves. */
  let quiet = false

  const errors = computed(() => validateCompose(form))
  /** Errors of fields the user has left, or all of them after a send attempt: no nagging while typing. */
  const visibleErrors = computed<FieldErrors>(() => {
    const shown: FieldErrors = {}
    for (const field of FIELDS) {
      const message = errors.value[field]
      if (message !== undefined && (submitted.value || touched[field])) shown[field] = message
    }
    return shown
  })
  const valid = computed(() => Object.keys(errors.value).length === 0)
  /** The bare addresses the form will send (display names dropped: the contract takes addresses). */
  const recipients = computed(() => ({
    from: parseRecipients(form.from)[0] ?? '',
    to: parseRecipients(form.to),
    cc: parseRecipients(form.cc),
    bcc: parseRecipients(form.bcc)
  }))

  const defaultFrom = (): string => app.info?.defaultFrom ?? ''

  // app.info usually answers after the form exists: fill From unless the user already typed one.
  watch(
    () => app.info?.defaultFrom,
    (address) => {
      if (address && form.from === '' && !touched.from) form.from = address
    },
    { immediate: true }
  )

  function touch(field: ComposeField): void {
    touched[field] = true
  }

  function fill(fields: Partial<ComposeForm>): void {
    quiet = true
    try {
      Object.assign(form, fields)
    } finally {
      quiet = false
    }
  }

  function reset(): void {
    clearTimeout(autosaveTimer)
    generation += 1
    fill({ from: defaultFrom(), to: '', cc: '', bcc: '', subject: '', body: '' })
    for (const field of FIELDS) touched[field] = false
    submitted.value = false
    serverError.value = null
    attachmentError.value = null
    extras.value = noExtras()
    draftState.value = { kind: 'idle' }
  }

  /** Starts a new message with some fields filled in (reply, forward, mailto:, resend after a bounce); From is the default unless given. */
  function prefill(fields: Partial<ComposeForm>, more: Partial<ComposeExtras> = {}): void {
    reset()
    fill(fields)
    extras.value = { ...noExtras(), ...more }
  }

  /** Puts a draft back (undo send, a saved draft): the form shows exactly what it was, with no errors yet. */
  function restore(draft: ComposeForm & { extras?: ComposeExtras }): void {
    clearTimeout(autosaveTimer)
    generation += 1
    const { extras: more, ...fields } = draft
    fill(fields)
    extras.value = more ?? noExtras()
    for (const field of FIELDS) touched[field] = false
    submitted.value = false
    serverError.value = null
    attachmentError.value = null
  }

  const hasContent = computed(() => form.to.trim() !== '' || form.cc.trim() !== '' || form.subject.trim() !== '' || form.body.trim() !== '')

  /** The account a draft belongs to: the one whose address is From, else the one the reply came from, else Local. */
  function draftAccount(): string {
    const from = (parseRecipients(form.from)[0] ?? '').toLowerCase()
    return identities.value.find((i) => i.email.toLowerCase() === from)?.accountId ?? mail.accounts.find((a) => a.email.toLowerCase() === from)?.id ?? extras.value.accountId ?? 'local'
  }

  /** Saves the draft now (drafts.save), keeping its id for the next save and for compose.send. */
  async function saveDraft(): Promise<boolean> {
    clearTimeout(autosaveTimer)
    if (!hasContent.value || sending.value) return false
    const mine = generation
    draftState.value = { kind: 'saving' }
    const result = await drafts.save({
      ...(extras.value.draftId === null ? {} : { id: extras.value.draftId }),
      accountId: draftAccount(),
      from: form.from.trim(),
      to: parseRecipients(form.to),
      cc: parseRecipients(form.cc),
      bcc: parseRecipients(form.bcc),
      subject: form.subject.replace(/[\r\n]+/g, ' '),
      text: form.body,
      inReplyTo: extras.value.inReplyTo,
      references: extras.value.references
    })
    if (mine !== generation) return false
    if (result.ok) {
      extras.value = { ...extras.value, draftId: result.value.id }
      draftState.value = { kind: 'saved', at: result.value.updatedAt }
      return true
    }
    draftState.value = { kind: 'failed', reason: result.error.message }
    return false
  }

  // Every edit restarts the quiet-time timer; a programmatic fill does not count as an edit.
  watch(
    () => [form.to, form.cc, form.bcc, form.subject, form.body, form.from],
    () => {
      if (quiet || sending.value) return
      clearTimeout(autosaveTimer)
      if (hasContent.value) autosaveTimer = setTimeout(() => void saveDraft(), DRAFT_AUTOSAVE_MS)
    },
    // Synchronous, so a programmatic fill is recognised while it happens.
    { flush: 'sync' }
  )

  /** Discard: the form is emptied and its saved draft deleted. */
  async function discard(): Promise<void> {
    const id = extras.value.draftId
    reset()
    if (id !== null) await drafts.remove(id)
  }

  /** Adds picked or dropped files (read as base64 here); refuses with a clear message what would pass the size limit. */
  async function addFiles(files: readonly File[]): Promise<void> {
    attachmentError.value = null
    for (const file of files) {
      const problem = checkAttachments(extras.value.attachments, [file])
      if (problem !== null) {
        attachmentError.value = problem
        continue
      }
      try {
        const attachment = await readAttachment(file)
        extras.value = { ...extras.value, attachments: [...extras.value.attachments, attachment] }
      } catch (error) {
        attachmentError.value = `Could not read "${file.name}": ${(error as Error).message}`
      }
    }
  }

  /** From choices: every account's address and identities (accounts.get), then the configured default sender. */
  const identities = shallowRef<Identity[]>([])
  async function loadIdentities(): Promise<void> {
    const found: Identity[] = []
    for (const account of mail.accounts) {
      found.push({ accountId: account.id, email: account.email, name: account.name })
      if (account.id === 'local') continue
      const details = await backend.client.call('accounts.get', { id: account.id })
      if (details.ok) for (const extra of details.value.settings.identities ?? []) found.push({ accountId: account.id, email: extra.email, name: extra.name })
    }
    const fallback = app.info?.defaultFrom
    if (fallback) found.push({ accountId: 'local', email: fallback })
    const seen = new Set<string>()
    identities.value = found.filter((identity) => {
      const key = identity.email.toLowerCase()
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }

  function removeAttachment(id: string): void {
    extras.value = { ...extras.value, attachments: extras.value.attachments.filter((a) => a.id !== id) }
    attachmentError.value = null
  }

  /**
   * Validates, sends, and on success clears the form and returns what was queued (with the draft, for undo);
   * null when nothing was queued (the reason is in visibleErrors or serverError, and the form is kept).
   */
  async function send(options: SendOptions = {}): Promise<SendOutcome | null> {
    if (sending.value) return null
    submitted.value = true
    serverError.value = null
    if (!valid.value) return null
    const sendAt = options.sendAt ?? null
    const args: CallArgs<'compose.send'> = {
      from: recipients.value.from,
      to: recipients.value.to,
      cc: recipients.value.cc,
      bcc: recipients.value.bcc,
      subject: form.subject,
      text: form.body,
      sendAt,
      undo: sendAt === null && options.undo === true
    }
    // Only what a message has: a plain new message sends the same call as before replies existed.
    const more = extras.value
    if (more.inReplyTo !== null) args.inReplyTo = more.inReplyTo
    if (more.references.length > 0) args.references = more.references
    if (more.draftId !== null) args.draftId = more.draftId
    if (more.attachments.length > 0) args.attachments = more.attachments.map(({ filename, contentType, contentBase64 }) => ({ filename, contentType, contentBase64 }))
    const plain = more.inReplyTo === null && more.references.length === 0 && more.draftId === null && more.attachments.length === 0
    const draft: SendOutcome['draft'] = plain ? { ...form } : { ...form, extras: { ...more, draftId: null } }
    clearTimeout(autosaveTimer)
    sending.value = true
    try {
      const result = await backend.client.call('compose.send', args)
      if (!result.ok) {
        serverError.value = describeSendFailure(result.error)
        return null
      }
      // The backend deletes the draft once the message is queued.
      if (more.draftId !== null) drafts.forget(more.draftId)
      reset()
      return { id: result.value.id, notBefore: result.value.notBefore ?? null, draft }
    } finally {
      sending.value = false
    }
  }

  return {
    form,
    touched,
    submitted,
    sending,
    serverError,
    errors,
    visibleErrors,
    valid,
    recipients,
    extras,
    attachmentError,
    draftState,
    hasContent,
    touch,
    reset,
    prefill,
    restore,
    send,
    saveDraft,
    discard,
    addFiles,
    removeAttachment,
    identities,
    loadIdentities
  }
})
