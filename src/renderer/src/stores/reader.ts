// The opened message's actions: remote content (once or per sender), attachments via the main process, links, reply/forward.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { AttachmentInfo, MessageView } from '@shared/contract'
import { useBackend } from '../ipc/backend'
import { parseMailto } from '../util/mailto'
import { addressOf, forwardDraft, replyDraft } from '../util/quoting'
import { useAppStore } from './app'
import { useComposeStore } from './compose'
import { useMailStore } from './mail'
import { useNavStore } from './nav'
import { useNotificationsStore } from './notifications'

const messageKey = (accountId: string | null, mailbox: string, uid: number): string => `${accountId ?? ''}\u0000${mailbox}\u0000${uid}`

export const useReaderStore = defineStore('reader', () => {
  const backend = useBackend()
  const app = useAppStore()
  const mail = useMailStore()
  const compose = useComposeStore()
  const nav = useNavStore()
  const notifications = useNotificationsStore()

  /** The message whose remote content the user loaded once: until another message is opened. */
  const allowedOnce = ref<string | null>(null)
  /** Senders allowed during this session (mail.allowRemoteContent remembers them in the backend too). */
  const allowedSenders = shallowRef(new Set<string>())
  /** Prefer the plain-text part over the HTML one (a toggle in the reader). */
  const preferText = ref(false)
  const busyAttachment = ref<string | null>(null)

  const currentKey = computed(() => (mail.message === null ? null : messageKey(mail.selectedAccountId, mail.openedMailbox, mail.message.uid)))
  const senderAddress = computed(() => {
    const message = mail.message
    if (message === null) return ''
    return (message.fromAddress ?? addressOf(message.from)).toLowerCase()
  })
  const remoteAllowed = computed(() => {
    const message = mail.message
    if (message === null) return false
    return message.remoteContentAllowed === true || allowedSenders.value.has(senderAddress.value) || (currentKey.value !== null && allowedOnce.value === currentKey.value)
  })
  watch(currentKey, (key) => {
    if (key !== null && key !== allowedOnce.value) allowedOnce.value = null
  })

  function allowOnce(): void {
    allowedOnce.value = currentKey.value
  }

  /** Always load remote content from this sender; shown at once, remembered by the backend. */
  async function allowSender(): Promise<boolean> {
    const sender = senderAddress.value
    if (sender === '') return false
    const result = await backend.client.call('mail.allowRemoteContent', { sender })
    if (!result.ok) {
      app.reportError(result.error, `Could not remember ${sender}`)
      return false
    }
    allowedSenders.value = new Set([...allowedSenders.value, sender])
    return true
  }

  /** The user's own addresses: dropped from reply-all, used to pick the From of a reply. */
  const ownAddresses = computed(() => [app.info?.defaultFrom, ...mail.accounts.map((a) => a.email)].filter((a): a is string => !!a).map((a) => a.toLowerCase()))

  /** The identity the message was sent to (one of ours in To/Cc), else the open account's address, else the default. */
  function replyFrom(message: MessageView): string {
    const own = new Set(ownAddresses.value)
    const addressed = [...message.to, ...message.cc].map(addressOf).find((a) => own.has(a))
    return addressed ?? mail.selectedAccount?.email ?? app.info?.defaultFrom ?? ''
  }

  function reply(all: boolean): boolean {
    const message = mail.message
    if (message === null) return false
    const draft = replyDraft(message, ownAddresses.value, all)
    compose.prefill(
      { from: replyFrom(message), to: draft.to, cc: draft.cc, subject: draft.subject, body: draft.body },
      { accountId: mail.selectedAccountId, inReplyTo: draft.inReplyTo, references: draft.references }
    )
    nav.go({ name: 'compose' })
    return true
  }

  function forward(): boolean {
    const message = mail.message
    if (message === null) return false
    const draft = forwardDraft(message)
    compose.prefill({ from: replyFrom(message), subject: draft.subject, body: draft.body }, { accountId: mail.selectedAccountId })
    nav.go({ name: 'compose' })
    return true
  }

  /** A link chosen in the reader: mailto: opens the composer; http(s) a new tab without opener (Electron: the system browser). */
  function openLink(href: string): void {
    const mailto = parseMailto(href)
    if (mailto !== null) {
      compose.prefill({ to: mailto.to, cc: mailto.cc, bcc: mailto.bcc, subject: mailto.subject, body: mailto.body }, { accountId: mail.selectedAccountId })
      nav.go({ name: 'compose' })
      return
    }
    if (!/^https?:\/\//i.test(href)) return
    window.open(href, '_blank', 'noopener,noreferrer')
  }

  async function attachment(kind: 'save' | 'open', info: AttachmentInfo): Promise<void> {
    const accountId = mail.selectedAccountId
    const message = mail.message
    if (accountId === null || message === null) return
    const attachmentId = info.id
    if (attachmentId === undefined) {
      app.reportError({ code: 'INVALID_STATE', message: 'this attachment has no id to fetch it by' }, `Could not ${kind} "${info.filename}"`)
      return
    }
    busyAttachment.value = attachmentId
    try {
      const args = { accountId, mailbox: mail.openedMailbox, uid: message.uid, attachmentId }
      if (kind === 'save') {
        const result = await backend.client.call('mail.attachment.save', args)
        if (result.ok) notifications.info(`Saved "${info.filename}"`, result.value.path)
        else app.reportError(result.error, `Could not save "${info.filename}"`)
      } else {
        const result = await backend.client.call('mail.attachment.open', args)
        if (!result.ok) app.reportError(result.error, `Could not open "${info.filename}"`)
        else if (!result.value.opened) notifications.info(`"${info.filename}" was saved; open it from there`, result.value.path)
      }
    } finally {
      busyAttachment.value = null
    }
  }

  return { allowedOnce, allowedSenders, preferText, busyAttachment, senderAddress, remoteAllowed, allowOnce, allowSender, reply, forward, openLink, attachment }
})
