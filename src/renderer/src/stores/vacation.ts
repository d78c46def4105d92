// The out-of-office tab: the rule as a form (vacation.get/save), on/off through the user's .forward, the Sieve script and its upload.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import type { AccountSummary, VacationRule, VacationState } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { parseRecipients } from '../util/recipients'

export interface VacationForm {
  subject: string
  body: string
  days: string
  addresses: string
  /** `datetime-local` values ('' = no limit). */
  startsAt: string
  endsAt: string
}

const DEFAULT_FORM: VacationForm = { subject: 'Auto: %s', body: '', days: '7', addresses: '', startsAt: '', endsAt: '' }

function toLocalInput(ms: number | null): string {
  if (ms === null) return ''
  const d = new Date(ms)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The form as a rule, or the first problem in words (field name and reason). */
export function ruleFromForm(form: VacationForm): { rule: VacationRule } | { field: keyof VacationForm; message: string } {
  const days = Number(form.days)
  if (!Number.isInteger(days) || days < 1 || days > 365) return { field: 'days', message: 'Days between replies: a whole number from 1 to 365' }
  if (/[\r\n]/.test(form.subject)) return { field: 'subject', message: 'The subject cannot contain line breaks' }
  if (form.body.trim() === '') return { field: 'body', message: 'Write the reply text' }
  const times: Record<'startsAt' | 'endsAt', number | null> = { startsAt: null, endsAt: null }
  for (const key of ['startsAt', 'endsAt'] as const) {
    if (form[key] === '') continue
    const ms = new Date(form[key]).getTime()
    if (Number.isNaN(ms)) return { field: key, message: 'Not a date and time' }
    times[key] = ms
  }
  if (times.startsAt !== null && times.endsAt !== null && times.endsAt <= times.startsAt) return { field: 'endsAt', message: 'The end must come after the start' }
  return { rule: { subject: form.subject, body: form.body, days, addresses: parseRecipients(form.addresses), ...times } }
}

export const useVacationStore = defineStore('vacation', () => {
  const backend = useBackend()
  const user = ref<string | null>(null)
  const state = shallowRef<VacationState | null>(null)
  const form = reactive<VacationForm>({ ...DEFAULT_FORM })
  const loading = ref(false)
  const busy = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const fieldError = ref<{ field: keyof VacationForm; message: string } | null>(null)
  const savedNote = ref<string | null>(null)
  const script = ref<string | null>(null)
  const accounts = shallowRef<AccountSummary[]>([])
  const uploadNote = ref<string | null>(null)
  const uploadError = ref<ErrorInfo | null>(null)

  const enabled = computed(() => state.value?.enabled === true)

  function fill(next: VacationState): void {
    state.value = next
    const rule = next.rule
    Object.assign(form, rule === null ? DEFAULT_FORM : {
      subject: rule.subject, body: rule.body, days: String(rule.days), addresses: rule.addresses.join(', '),
      startsAt: toLocalInput(rule.startsAt), endsAt: toLocalInput(rule.endsAt)
    })
  }

  async function load(name: string): Promise<void> {
    user.value = name
    loading.value = true
    error.value = null
    savedNote.value = null
    script.value = null
    try {
      const [result, list] = await Promise.all([backend.client.call('vacation.get', { user: name }), backend.client.call('accounts.list', {})])
      if (list.ok) accounts.value = list.value.filter((a) => a.id !== 'local')
      if (user.value !== name) return
      if (result.ok) fill(result.value)
      else error.value = result.error
    } finally {
      loading.value = false
    }
  }

  /** Saves the rule and switches the reply on or off (the .forward line). */
  async function save(enable: boolean): Promise<boolean> {
    if (user.value === null) return false
    const checked = ruleFromForm(form)
    if ('field' in checked) {
      fieldError.value = checked
      return false
    }
    fieldError.value = null
    busy.value = true
    error.value = null
    savedNote.value = null
    try {
      const result = await backend.client.call('vacation.save', { user: user.value, rule: checked.rule, enable })
      if (!result.ok) {
        error.value = result.error
        return false
      }
      fill(result.value)
      savedNote.value = result.value.enabled ? `Out-of-office is on: ${result.value.forwardPath} runs it.` : 'Out-of-office is off; the rule is kept.'
      return true
    } finally {
      busy.value = false
    }
  }

  async function showSieve(): Promise<void> {
    if (user.value === null) return
    const result = await backend.client.call('vacation.sieve', { user: user.value })
    if (result.ok) script.value = result.value.script
    else error.value = result.error
  }

  async function upload(accountId: string): Promise<void> {
    if (user.value === null) return
    busy.value = true
    uploadNote.value = null
    uploadError.value = null
    try {
      const result = await backend.client.call('vacation.upload', { user: user.value, accountId })
      if (result.ok) uploadNote.value = `Uploaded as "${result.value.scriptName}" to ${result.value.server}${result.value.active ? ' and activated' : ''}.`
      else uploadError.value = result.error
    } finally {
      busy.value = false
    }
  }

  return { user, state, form, loading, busy, error, fieldError, savedNote, script, accounts, uploadNote, uploadError, enabled, load, save, showSieve, upload }
})
