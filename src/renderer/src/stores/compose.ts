// The compose form: field state, per-field validation (checkAddress), compose.send (now, with undo, or later), refusals in words.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { CallArgs } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { addressProblem, parseRecipients, recipientsProblem } from '../util/recipients'
import { useAppStore } from './app'

export type ComposeField = 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body'
export type ComposeForm = Record<ComposeField, string>
export type FieldErrors = Partial<Record<ComposeField, string>>

/** Limits of the compose.send contract, checked here so the user hears about them before sending. */
export const MAX_SUBJECT = 998
export const MAX_TEXT = 25 * 1024 * 1024

const FIELDS: readonly ComposeField[] = ['from', 'to', 'cc', 'bcc', 'subject', 'body']

/** Everything wrong with the form, by field; empty when it can be sent. */
export function validateCompose(form: ComposeForm): FieldErrors {
  const errors: FieldErrors = {}
  const from = parseRecipients(form.from)
  if (from.length === 0) errors.from = 'Enter the address the message is from'
  else if (from.length > 1) errors.from = 'Enter a single From address'
  else {
    const problem = addressProblem(from[0] as string)
    if (problem !== null) errors.from = problem
  }
  const to = parseRecipients(form.to)
  if (to.length === 0) errors.to = 'Add at least one recipient'
  else {
    const problem = recipientsProblem(to)
    if (problem !== null) errors.to = problem
  }
  for (const field of ['cc', 'bcc'] as const) {
    const problem = recipientsProblem(parseRecipients(form[field]))
    if (problem !== null) errors[field] = problem
  }
  if (/[\r\n]/.test(form.subject)) errors.subject = 'The subject cannot contain line breaks'
  else if (form.subject.length > MAX_SUBJECT) errors.subject = `The subject is longer than ${MAX_SUBJECT} characters`
  if (form.body.length > MAX_TEXT) errors.body = 'The text is larger than 25 MB'
  return errors
}

/** How to send: now with an undo window (the default of the Send button), or not before `sendAt`. */
export interface SendOptions {
  undo?: boolean
  sendAt?: number | null
}

/** What was queued: the id, when it will first be tried (undo deadline or send-later time), and the form as it was. */
export interface SendOutcome {
  id: string
  notBefore: number | null
  draft: ComposeForm
}

/** The limit named by the server, when it gave one in the details and not already in its sentence. */
function limitOf(error: ErrorInfo): string | null {
  const limit = error.details?.limit
  return typeof limit === 'string' || typeof limit === 'number' ? String(limit) : null
}

/** The server's own message; when the link broke mid-call the message may be queued already, so say so. */
export function describeSendFailure(error: ErrorInfo): string {
  if (error.code === 'TRANSPORT_CLOSED' && error.details?.requestSent === true) {
    return `${error.message}. Check the Outbox before sending again: the message may already be queued.`
  }
  if (error.code === 'QUEUE_FULL') {
    const limit = limitOf(error)
    const sentence = error.message.trim().replace(/\.$/, '')
    const named = limit !== null && !sentence.includes(limit) ? `${sentence} (limit: ${limit})` : sentence
    return `${named}. Your message is still here: send it again once some mail has gone out.`
  }
  return error.message
}

export const useComposeStore = defineStore('compose', () => {
  const backend = useBackend()
  const app = useAppStore()
  const form = reactive<ComposeForm>({ from: '', to: '', cc: '', bcc: '', subject: '', body: '' })
  const touched = reactive<Record<ComposeField, boolean>>({ from: false, to: false, cc: false, bcc: false, subject: false, body: false })
  const submitted = ref(false)
  const sending = ref(false)
  const serverError = ref<string | null>(null)

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

  function reset(): void {
    Object.assign(form, { from: defaultFrom(), to: '', cc: '', bcc: '', subject: '', body: '' })
    for (const field of FIELDS) touched[field] = false
    submitted.value = false
    serverError.value = null
  }

  /** Starts a new message with some fields filled in (resend after a bounce); From is the default sender unless given. */
  function prefill(fields: Partial<ComposeForm>): void {
    reset()
    Object.assign(form, fields)
  }

  /** Puts a draft back (undo send): the form shows exactly what was sent, with no errors yet. */
  function restore(draft: ComposeForm): void {
    Object.assign(form, draft)
    for (const field of FIELDS) touched[field] = false
    submitted.value = false
    serverError.value = null
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
    const draft: ComposeForm = { ...form }
    sending.value = true
    try {
      const result = await backend.client.call('compose.send', args)
      if (!result.ok) {
        serverError.value = describeSendFailure(result.error)
        return null
      }
      reset()
      return { id: result.value.id, notBefore: result.value.notBefore ?? null, draft }
    } finally {
      sending.value = false
    }
  }

  return { form, touched, submitted, sending, serverError, errors, visibleErrors, valid, recipients, touch, reset, prefill, restore, send }
})
