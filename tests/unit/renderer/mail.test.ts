// Reading mail: accounts in the nav, the INBOX list (unread bold), and the reader showing the body as text, never HTML.
import { afterEach, describe, expect, it } from 'vitest'
import type { MessageSummary, MessageView } from '@shared/contract'
import { fail, ok } from '@shared/result'
import App from '../../../src/renderer/src/App.vue'
import { useMailStore } from '../../../src/renderer/src/stores/mail'
import { allByTestId, byTestId, createHarness, FakeTransport, mount, settle } from './helpers'

const summaries: MessageSummary[] = [
  { uid: 1, subject: 'Old', from: 'old@example.org', date: 1_000, seen: true, size: 10 },
  { uid: 2, subject: 'New', from: 'new@example.org', date: 2_000, seen: false, size: 20 }
]

const view: MessageView = {
  uid: 2,
  subject: 'New',
  from: 'new@example.org',
  to: ['me@example.org'],
  cc: [],
  date: 2_000,
  messageId: '<m2@example.org>',
  text: '<b>not bold</b>\n<script>alert(1)</script>',
  attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', size: 2048 }]
}

function backend(): FakeTransport {
  return new FakeTransport()
    .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@box' })
    .reply('accounts.list', [{ id: 'acct1', email: 'me@example.org' }])
    .reply('outbox.list', [])
    .reply('mail.list', summaries)
    .reply('mail.read', view)
}

describe('mail store', () => {
  it('lists the INBOX newest first and marks a read message seen', async () => {
    const transport = backend()
    const { pinia } = createHarness(transport)
    const mail = useMailStore(pinia)
    await mail.selectAccount('acct1')
    expect(transport.callsTo('mail.list')).toEqual([{ accountId: 'acct1', mailbox: 'INBOX', offset: 0, limit: 200 }])
    expect(mail.messages.map((m) => m.uid)).toEqual([2, 1])
    expect(mail.unreadCount).toBe(1)

    await mail.openMessage(2)
    expect(transport.callsTo('mail.read')).toEqual([{ accountId: 'acct1', mailbox: 'INBOX', uid: 2 }])
    expect(mail.message?.subject).toBe('New')
    expect(mail.unreadCount).toBe(0)
  })

  it('keeps the error of a failed read for the view', async () => {
    const transport = backend().handle('mail.read', () => fail('IMAP_CONNECT', 'imap.example.org did not answer'))
    const { pinia } = createHarness(transport)
    const mail = useMailStore(pinia)
    await mail.selectAccount('acct1')
    await mail.openMessage(1)
    expect(mail.messageError?.message).toBe('imap.example.org did not answer')
    expect(mail.message).toBeNull()
  })

  it('drops an answer that arrives after the user opened another message', async () => {
    const answers: Array<() => void> = []
    const transport = backend().handle('mail.read', ({ uid }) => new Promise((resolve) => answers.push(() => resolve(ok({ ...view, uid, subject: `#${uid}` })))))
    const { pinia } = createHarness(transport)
    const mail = useMailStore(pinia)
    await mail.selectAccount('acct1')
    const first = mail.openMessage(1)
    const second = mail.openMessage(2)
    answers[1]?.()
    await second
    answers[0]?.()
    await first
    expect(mail.message?.subject).toBe('#2')
  })
})

describe('inbox and reader', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('opens the first inbox, shows unread rows in bold and the body as plain text', async () => {
    const transport = backend()
    const app = mount(App, transport)
    unmount = app.unmount
    await settle()

    expect(byTestId(app.root, 'nav-inbox-acct1')?.getAttribute('aria-current')).toBe('page')
    const rows = allByTestId(app.root, 'message-row')
    expect(rows.map((r) => r.dataset.uid)).toEqual(['2', '1'])
    expect(rows[0]?.classList.contains('row--unread')).toBe(true)
    expect(rows[1]?.classList.contains('row--unread')).toBe(false)

    rows[0]?.click()
    await settle()
    expect(byTestId(app.root, 'reader-subject')?.textContent).toBe('New')
    const body = byTestId(app.root, 'reader-body')
    expect(body?.textContent).toBe(view.text)
    expect(body?.querySelector('b, script')).toBeNull()
    expect(app.root.textContent).toContain('report.pdf')
    expect(app.root.textContent).toContain('application/pdf · 2.0 KB')
    expect(rows[0]?.classList.contains('row--unread')).toBe(false)
  })

  it('goes to the outbox and to compose from the navigation', async () => {
    const app = mount(App, backend())
    unmount = app.unmount
    await settle()
    byTestId(app.root, 'nav-outbox')?.click()
    await settle()
    expect(app.root.textContent).toContain('The outbox is empty.')
    byTestId(app.root, 'compose-button')?.click()
    await settle()
    expect((byTestId(app.root, 'compose-from') as HTMLInputElement | null)?.value).toBe('me@box')
  })
})
