// The reader: HTML in a sandboxed iframe behind a CSP, remote content on request, links in a list, actions and shortcuts.
import './dom-shim'
import { afterEach, describe, expect, it } from 'vitest'
import type { MessageSummary, MessageView } from '@shared/contract'
import { ok } from '@shared/result'
import App from '../../../src/renderer/src/App.vue'
import { useThemeStore } from '../../../src/renderer/src/stores/theme'
import { allByTestId, byTestId, FakeTransport, mount, settle, typeInto } from './helpers'

const summaries: MessageSummary[] = [
  { uid: 1, subject: 'Plain', from: 'Carol <carol@remote.test>', date: 1_000, seen: true, size: 10, threadId: 'a' },
  { uid: 2, subject: 'Newsletter', from: 'News <news@remote.test>', date: 2_000, seen: false, size: 20 },
  { uid: 3, subject: 'Re: Plain', from: 'Dave <dave@remote.test>', date: 3_000, seen: true, size: 10, threadId: 'a' }
]

const html: MessageView = {
  uid: 2,
  subject: 'Newsletter',
  from: 'News <news@remote.test>',
  fromAddress: 'news@remote.test',
  to: ['me@example.org'],
  cc: [],
  date: 2_000,
  messageId: '<n2@remote.test>',
  text: 'text part',
  html: '<p>Hello</p><script>parent.document.title="pwned"</script><img src="http://127.0.0.1:9/pixel.gif"><a href="mailto:sales@remote.test?subject=Offer">Write to us</a> <a href="https://remote.test/more">More</a>',
  attachments: [{ id: '2', filename: 'a.pdf', contentType: 'application/pdf', size: 4096 }]
}

const plain: MessageView = {
  uid: 1,
  subject: 'Plain',
  from: 'Carol <carol@remote.test>',
  to: ['me@example.org'],
  cc: ['erin@remote.test'],
  date: 1_000,
  messageId: '<p1@remote.test>',
  text: 'Lunch?\n> a\n> b\n> c\nSee https://remote.test/menu',
  attachments: []
}

function backend(): FakeTransport {
  return new FakeTransport()
    .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@example.org' })
    .reply('accounts.list', [{ id: 'acct1', email: 'me@example.org' }])
    .reply('outbox.list', [])
    .reply('mail.folders', [
      { path: 'INBOX', name: 'Inbox', parent: null, delimiter: '/', role: 'inbox', selectable: true, total: 3, unread: 1 },
      { path: 'Archive', name: 'Archive', parent: null, delimiter: '/', role: 'archive', selectable: true, total: 0, unread: 0 }
    ])
    .reply('mail.list', summaries)
    .handle('mail.read', ({ uid }) => ok(uid === 2 ? html : { ...plain, uid, subject: uid === 3 ? 'Re: Plain' : 'Plain' }))
    .reply('mail.allowRemoteContent', { allowed: true })
    .reply('mail.setFlags', { pending: false })
    .reply('mail.delete', { pending: false })
    .reply('mail.search', { messages: [summaries[1] as MessageSummary], scope: 'local' })
    .reply('mail.attachment.save', { path: '/home/me/Downloads/a.pdf', size: 4096 })
    .reply('drafts.list', [])
}

async function openRow(root: HTMLElement, uid: number): Promise<void> {
  root.querySelector<HTMLElement>(`[data-testid="message-row"][data-uid="${uid}"]`)?.click()
  await settle()
}

function press(key: string, target: EventTarget = window): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))
}

describe('reader', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('shows HTML in a script-less sandboxed iframe with its own CSP, remote images held back until allowed', async () => {
    const transport = backend()
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    await openRow(view.root, 2)

    const frame = byTestId<HTMLIFrameElement>(view.root, 'reader-html')
    expect(frame?.getAttribute('sandbox')).toBe('')
    expect(frame?.dataset.remote).toBe('blocked')
    const doc = frame?.getAttribute('srcdoc') ?? ''
    expect(doc).toContain("default-src 'none'")
    expect(doc).not.toMatch(/<script|127\.0\.0\.1|href=/i)
    expect(byTestId(view.root, 'remote-content-banner')?.textContent).toContain('1 item')

    byTestId(view.root, 'remote-load-once')?.click()
    await settle()
    expect(frame?.dataset.remote).toBe('allowed')
    expect(frame?.getAttribute('srcdoc')).toContain('src="http://127.0.0.1:9/pixel.gif"')
    expect(frame?.getAttribute('srcdoc')).toContain('img-src data: https: http:')
    expect(transport.callsTo('mail.allowRemoteContent')).toEqual([])

    // Once is for this reading only: opened again, the message is blocked again until "Always".
    await openRow(view.root, 3)
    await openRow(view.root, 2)
    expect(byTestId(view.root, 'reader-html')?.dataset.remote).toBe('blocked')
    byTestId(view.root, 'remote-allow-sender')?.click()
    await settle()
    expect(transport.callsTo('mail.allowRemoteContent')).toEqual([{ sender: 'news@remote.test' }])
    expect(byTestId(view.root, 'reader-html')?.dataset.remote).toBe('allowed')
  })

  it('lists the links below the message; mailto: opens the composer', async () => {
    const view = mount(App, backend())
    unmount = view.unmount
    await settle()
    await openRow(view.root, 2)
    const links = allByTestId<HTMLAnchorElement>(view.root, 'reader-link')
    expect(links.map((a) => [a.dataset.kind, a.textContent, a.rel])).toEqual([
      ['mailto', 'mailto:sales@remote.test?subject=Offer', 'noopener noreferrer'],
      ['web', 'https://remote.test/more', 'noopener noreferrer']
    ])
    links[0]?.click()
    await settle()
    expect((byTestId(view.root, 'compose-to') as HTMLInputElement).value).toBe('sales@remote.test')
    expect((byTestId(view.root, 'compose-subject') as HTMLInputElement).value).toBe('Offer')
  })

  it('folds quoted text, lists attachments with Save through the main process', async () => {
    const transport = backend()
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    await openRow(view.root, 3)
    const toggle = byTestId(view.root, 'reader-quote-toggle')
    expect(toggle?.textContent).toContain('Show quoted text (3 lines)')
    expect(byTestId(view.root, 'reader-quote')).toBeNull()
    toggle?.click()
    await settle()
    expect(byTestId(view.root, 'reader-quote')?.textContent).toBe('> a\n> b\n> c')
    expect(byTestId(view.root, 'reader-text-link')?.getAttribute('href')).toBe('https://remote.test/menu')

    await openRow(view.root, 2)
    expect(byTestId(view.root, 'reader-attachment')?.textContent).toContain('application/pdf · 4.0 KB')
    byTestId(view.root, 'attachment-save')?.click()
    await settle()
    expect(transport.callsTo('mail.attachment.save')).toEqual([{ accountId: 'acct1', mailbox: 'INBOX', uid: 2, attachmentId: '2' }])
    expect(byTestId(view.root, 'notice-toast')?.textContent).toContain('/home/me/Downloads/a.pdf')
  })

  it('threads, unread counts, and the keyboard: j/k, u, #, r, / and c', async () => {
    const transport = backend()
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    // Thread "a" (uids 3 and 1) shows once, at its newest message.
    expect(allByTestId(view.root, 'message-row').map((r) => r.dataset.uid)).toEqual(['3', '2'])
    expect(byTestId(view.root, 'thread-toggle')?.textContent).toBe('2')
    expect(byTestId(view.root, 'folder-unread')?.textContent).toBe('1')
    expect(byTestId(view.root, 'nav-folder')?.dataset.path).toBe('Archive')

    press('j')
    await settle()
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Re: Plain')
    press('j')
    await settle()
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Newsletter')
    expect(byTestId(view.root, 'folder-unread')).toBeNull()
    press('u')
    await settle()
    expect(transport.callsTo('mail.setFlags')).toEqual([{ accountId: 'acct1', mailbox: 'INBOX', uids: [2], remove: ['\\Seen'] }])
    expect(byTestId(view.root, 'folder-unread')?.textContent).toBe('1')
    press('k')
    await settle()
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Re: Plain')
    press('#')
    await settle()
    expect(transport.callsTo('mail.delete')).toEqual([{ accountId: 'acct1', mailbox: 'INBOX', uids: [3] }])
    expect(allByTestId(view.root, 'message-row').map((r) => r.dataset.uid)).toEqual(['2', '1'])

    press('/')
    await settle()
    const search = byTestId<HTMLInputElement>(view.root, 'search-input')
    expect(document.activeElement).toBe(search)
    // Typing in the field is text, not shortcuts.
    press('c', search as HTMLInputElement)
    typeInto(search, 'from:news')
    search?.form?.dispatchEvent(new Event('submit', { cancelable: true }))
    await settle()
    expect(transport.callsTo('mail.search')).toEqual([{ accountId: 'acct1', mailbox: null, query: 'from:news', scope: 'local' }])
    expect(byTestId(view.root, 'search-status')?.textContent).toBe('1 result for “from:news”')
    expect(allByTestId(view.root, 'message-row').map((r) => r.dataset.uid)).toEqual(['2'])

    await openRow(view.root, 2)
    press('r')
    await settle()
    expect((byTestId(view.root, 'compose-to') as HTMLInputElement).value).toBe('News <news@remote.test>')
    expect((byTestId(view.root, 'compose-subject') as HTMLInputElement).value).toBe('Re: Newsletter')
  })

  it('keeps the theme choice in localStorage and on <html>', () => {
    localStorage.removeItem('mailroom.theme')
    const view = mount(App, backend())
    unmount = view.unmount
    const theme = useThemeStore(view.pinia)
    expect(theme.mode).toBe('system')
    byTestId(view.root, 'theme-toggle')?.click()
    expect(localStorage.getItem('mailroom.theme')).toBe('light')
    expect(document.documentElement.dataset.theme).toBe('light')
    theme.cycle()
    expect(document.documentElement.dataset.theme).toBe('dark')
    theme.cycle()
    expect(localStorage.getItem('mailroom.theme')).toBeNull()
    expect(document.documentElement.dataset.theme).toBeUndefined()
  })

  it('new mail: an in-app notice when desktop notifications are not permitted; Open opens the message', async () => {
    const transport = backend()
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    transport.emit('mail.newMail', { accountId: 'acct1', mailbox: 'INBOX', messages: [{ uid: 2, from: 'News', subject: 'Newsletter' }] })
    await settle()
    const notice = byTestId(view.root, 'notice-toast')
    expect(notice?.dataset.kind).toBe('mail')
    expect(notice?.textContent).toContain('New mail from News')
    byTestId(view.root, 'notice-open')?.click()
    await settle()
    expect(byTestId(view.root, 'reader-subject')?.textContent).toBe('Newsletter')
  })
})
