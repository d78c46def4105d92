// New-mail notices (mail.newMail): the desktop Notification API when permitted, else an in-app toast; also short info toasts.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { EventPayload } from '@shared/contract'
import { useBackend } from '../ipc/backend'

export interface Notice {
  id: number
  kind: 'mail' | 'info'
  title: string
  body: string
  /** For mail notices: where "Open" goes. */
  target?: { accountId: string; mailbox: string; uid: number }
}

/** Long enough to read a subject line. */
export const NOTICE_MS = 8000
/** A burst of new mail makes one notice, naming this many subjects at most. */
const SUBJECTS_SHOWN = 3

type NotificationPermissionState = 'default' | 'granted' | 'denied' | 'unsupported'

function notificationApi(): typeof Notification | null {
  return typeof window !== 'undefined' && 'Notification' in window ? window.Notification : null
}

/** "Carol: Lunch?" for one message; "3 new messages" with the first subjects for several. */
export function describeNewMail(payload: EventPayload<'mail.newMail'>): { title: string; body: string } {
  const list = payload.messages
  if (list.length === 1) {
    const only = list[0] as { from: string; subject: string }
    return { title: `New mail from ${only.from || 'an unknown sender'}`, body: only.subject || '(no subject)' }
  }
  const subjects = list.slice(0, SUBJECTS_SHOWN).map((m) => m.subject || '(no subject)')
  const more = list.length > SUBJECTS_SHOWN ? ` and ${list.length - SUBJECTS_SHOWN} more` : ''
  return { title: `${list.length} new messages`, body: `${subjects.join(' · ')}${more}` }
}

export const useNotificationsStore = defineStore('notifications', () => {
  const backend = useBackend()
  const notices = shallowRef<Notice[]>([])
  const permission = ref<NotificationPermissionState>(notificationApi()?.permission ?? 'unsupported')
  /** Called when a notice's "Open" is chosen; the shell sets it (navigation lives elsewhere). */
  let opener: ((target: NonNullable<Notice['target']>) => void) | null = null
  let seq = 0
  const timers = new Map<number, ReturnType<typeof setTimeout>>()

  function dismiss(id: number): void {
    clearTimeout(timers.get(id))
    timers.delete(id)
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  function push(notice: Omit<Notice, 'id'>): number {
    seq += 1
    const id = seq
    notices.value = [...notices.value, { ...notice, id }]
    timers.set(id, setTimeout(() => dismiss(id), NOTICE_MS))
    return id
  }

  function info(title: string, body = ''): number {
    return push({ kind: 'info', title, body })
  }

  function onOpen(handler: (target: NonNullable<Notice['target']>) => void): void {
    opener = handler
  }

  function open(notice: Notice): void {
    if (notice.target !== undefined) opener?.(notice.target)
    dismiss(notice.id)
  }

  /** Asks for desktop notifications (must come from a click). */
  async function requestPermission(): Promise<void> {
    const api = notificationApi()
    if (api === null) return
    permission.value = await api.requestPermission()
  }

  function newMail(payload: EventPayload<'mail.newMail'>): void {
    if (!Array.isArray(payload?.messages) || payload.messages.length === 0) return
    const { title, body } = describeNewMail(payload)
    const first = payload.messages[0] as { uid: number }
    const target = { accountId: payload.accountId, mailbox: payload.mailbox, uid: first.uid }
    const api = notificationApi()
    if (api !== null && api.permission === 'granted') {
      const shown = new api(title, { body, tag: `mailroom-${payload.accountId}-${payload.mailbox}` })
      shown.onclick = () => {
        window.focus()
        opener?.(target)
      }
      return
    }
    push({ kind: 'mail', title, body, target })
  }

  backend.client.on('mail.newMail', newMail)

  return { notices, permission, push, info, dismiss, open, onOpen, requestPermission, newMail }
})
