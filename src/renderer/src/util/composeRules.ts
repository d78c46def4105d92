// The compose form's rules: field types, per-field validation with the shared address check, send refusals in words.
import type { ErrorInfo } from '@shared/result'
import { addressProblem, parseRecipients, recipientsProblem } from './recipients'

export type ComposeField = 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body'
export type ComposeForm = Record<ComposeField, string>
export type FieldErrors = Partial<Record<ComposeField, string>>

/** Limits of the compose.send contract, checked here so the user hears about them before sending. */
export const MAX_SUBJECT = 998
export const MAX_TEXT = 25 * 1024 * 1024

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
