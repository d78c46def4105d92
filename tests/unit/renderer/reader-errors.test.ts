// Refusals while reading keep everything on screen and say why; the list stays bounded (virtualised); notices and drafts.
import './dom-shim'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Draft, MessageSummary, MessageView } from '@shared/contract'
import { fail, ok } from '@shared/result'
import App from '../../../src/renderer/src/App.vue'
import { useComposeStore } from '../../../src/renderer/src/stores/compose'
import { useNotificationsStore } from '../../../src/renderer/src/stores/notifications'
import { allByTestId, byTestId, createHarness, FakeTransport, mount, settle, typeInto } from './helpers'

const many: MessageSummary[] = Array.from({ length: 10_000 }, (_, i) => ({ uid: i + 1, subject: `Message ${i + 1}`, from: 'a@x.org', date: i, seen: true, size: 1 }))

const view: MessageView = {
  uid: 10_000,
  subject: 'Message 10000',
  from: 'Ann <a@x.org>',
  fromAddress: 'a@x.org',
  to: ['me@example.org'],
  cc: [],
  date: 1,
  messageId: '<m@x.org>',
  text: 'plain version',
  html: '<p>formatted <img src="https://x.org/p.gif"></p>',
  attachments: [{ id: '2', filename: 'a.pdf', contentType: 'application/pdf', size: 10 }]
}

function backend(): FakeTransport {
  return new FakeTransport()
    .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@example.org' })
    .reply('accounts.list', [{ id: 'acct1', email: 'me@example.org' }])
    .reply('outbox.list', [])
    .handle('mail.folders', () => fail('INVALID_STATE', 'this part of the reader is not available yet'))
    .handle('mail.list', ({ offset }) => ok(offset === 0 ? many.slice(0, 200) : many.slice(200, 250)))
    .handle('mail.read', ({ uid }) => ok({ ...view, uid }))
    .handle('mail.allowRemoteContent', () => fail('CONFIG_INVALID', 'etc/remote-content.json is damaged'))
    .handle('mail.delete', () => fail('IMAP_ERROR', 'the server refused the move to Trash'))
    .handle('mail.setFlags', () => fail('TRANSPORT_CLOSED', 'The connection was lost'))
    .handle('mail.search', () => fail('INVALID_ARGUMENT', 'before: needs a date'))
    .handle('mail.attachment.save', () => fail('MAILBOX_IO', 'Downloads is not writable'))
}

describe('reading when things go wrong', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('paints a bounded number of rows for a long list and falls back to the Inbox when folders are refused', async () => {
    const view = mount(App, backend())
    unmount = view.unmount
    await settle()
    expect(byTestId(view.root, 'message-list')?.dataset.count).toBe('200')
    expect(allByTestId(view.root, 'message-row').length).toBeLessThanOrEqual(40)
    expect(byTestId(view.root, 'nav-inbox-acct1')).not.toBeNull()
    expect(byTestId(view.root, 'nav-folder')).toBeNull()
  })

  it('keeps the message and explains each refusal', async () => {
    const transport = backend()
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    allByTestId(view.root, 'message-row')[0]?.click()
    await settle()

    byTestId(view.root, 'remote-allow-sender')?.click()
    await settle()
    expect(byTestId(view.root, 'error-toast')?.textContent).toContain('Could not remember a@x.org: etc/remote-content.json is damaged')
    expect(byTestId(view.root, 'reader-html')?.dataset.remote).toBe('blocked')

    byTestId(view.root, 'attachment-save')?.click()
    await settle()
    expect(byTestId(view.root, 'error-toast')?.textContent).toContain('Could not save "a.pdf": Downloads is not writable')

    byTestId(view.root, 'reader-delete')?.click()
    await settle()
    expect(byTestId(view.root, 'error-toast')?.textContent).toContain('Could not delete the message: the server refused the move to Trash')
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Message 10000')
    expect(allByTestId(view.root, 'message-row')[0]?.dataset.uid).toBe('200')

    byTestId(view.root, 'reader-mark-unread')?.click()
    await settle()
    expect(allByTestId(view.root, 'message-row')[0]?.classList.contains('row--unread')).toBe(false)
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Message 10000')

    byTestId(view.root, 'reader-view-toggle')?.click()
    await settle()
    expect(byTestId(view.root, 'reader-html')).toBeNull()
    expect(byTestId(view.root, 'reader-body')?.textContent).toBe('plain version')

    const search = byTestId<HTMLInputElement>(view.root, 'search-input')
    typeInto(search, 'before:tomorrowish')
    search?.form?.dispatchEvent(new Event('submit', { cancelable: true }))
    await settle()
    expect(byTestId(view.root, 'search-status')?.textContent).toBe('Search failed: before: needs a date')
    expect(allByTestId(view.root, 'message-row').length).toBeGreaterThan(1)
  })
})

describe('notices and drafts', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('uses a desktop notification when permitted, naming several messages in one', () => {
    const shown: Array<{ title: string; body?: string }> = []
    class FakeNotification {
      static permission = 'granted'
      onclick: (() => void) | null = null
      constructor(title: string, options: { body?: string }) {
        shown.push({ title, body: options.body })
      }
    }
    vi.stubGlobal('Notification', FakeNotification)
    const transport = new FakeTransport()
    const { pinia } = createHarness(transport)
    const notices = useNotificationsStore(pinia)
    transport.emit('mail.newMail', {
      accountId: 'a', mailbox: 'INBOX',
      messages: [1, 2, 3, 4].map((uid) => ({ uid, from: 'x', subject: `S${uid}` }))
    })
    expect(shown).toEqual([{ title: '4 new messages', body: 'S1 · S2 · S3 and 1 more' }])
    expect(notices.notices).toEqual([])
  })

  it('resumes a saved draft with its reply headers, and sends it with its draft id', async () => {
    const draft: Draft = {
      id: 'd7', accountId: 'local', from: 'me@example.org', to: ['carol@x.org'], cc: [], bcc: [], subject: 'Re: Plans',
      text: 'Half written', inReplyTo: '<p@x.org>', references: ['<p@x.org>'], updatedAt: 5
    }
    const transport = new FakeTransport()
      .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@example.org' })
      .reply('accounts.list', [])
      .reply('outbox.list', [])
      .reply('drafts.list', [draft])
      .handle('compose.send', () => ok({ id: 'Q1', notBefore: null }))
    const view = mount(App, transport)
    await settle()
    byTestId(view.root, 'compose-button')?.click()
    await settle()
    byTestId(view.root, 'draft-open')?.click()
    await settle()
    expect((byTestId(view.root, 'compose-body') as HTMLTextAreaElement).value).toBe('Half written')
    await useComposeStore(view.pinia).send()
    expect(transport.callsTo('compose.send')).toMatchObject([{ to: ['carol@x.org'], inReplyTo: '<p@x.org>', references: ['<p@x.org>'], draftId: 'd7' }])
    view.unmount()
  })
})
