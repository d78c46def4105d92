// The bounce card: a delivery report in words in the reader, and "edit and resend" to the failed recipients only.
import { afterEach, describe, expect, it } from 'vitest'
import type { DeliveryReport, MessageView } from '@shared/contract'
import App from '../../../src/renderer/src/App.vue'
import { reportHeadline, statusInWords } from '../../../src/renderer/src/util/deliveryReport'
import { allByTestId, byTestId, FakeTransport, mount, settle } from './helpers'

const failure: DeliveryReport = {
  kind: 'failure',
  recipients: [{ address: 'gone@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 no such user', remoteMta: 'mx.remote.test' }],
  original: { subject: 'Quarterly report', to: ['gone@remote.test', 'bob@remote.test'], cc: [], text: 'Hello Bob,\nthe report.\n' }
}

function notice(report: DeliveryReport | undefined): MessageView {
  return {
    uid: 7,
    subject: 'Undelivered Mail Returned to Sender',
    from: 'Mail Delivery System <MAILER-DAEMON@box>',
    to: ['me@box'],
    cc: [],
    date: 2_000,
    messageId: '<n1@box>',
    text: 'This is the mail system.',
    attachments: [],
    ...(report !== undefined ? { report } : {})
  }
}

function backend(view: MessageView): FakeTransport {
  return new FakeTransport()
    .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@box' })
    .reply('accounts.list', [{ id: 'local', email: 'me@box', name: 'Local' }])
    .reply('outbox.list', [])
    .reply('mail.list', [{ uid: 7, subject: view.subject, from: view.from, date: 2_000, seen: false, size: 100 }])
    .reply('mail.read', view)
}

describe('report words', () => {
  it('says how many recipients failed, or that the message is delayed', () => {
    expect(reportHeadline(failure)).toBe('Your message “Quarterly report” could not be delivered to 1 of 2 recipients')
    expect(reportHeadline({ ...failure, original: { ...failure.original, to: ['gone@remote.test'] } }))
      .toBe('Your message “Quarterly report” could not be delivered to gone@remote.test')
    expect(reportHeadline({ ...failure, kind: 'delay', recipients: [{ address: 'a@x.test', action: 'delayed', status: '4.4.1' }] }))
      .toMatch(/^Your message “Quarterly report” is delayed/)
    expect(statusInWords({ status: '5.1.1', action: 'failed' })).toBe('The mailbox does not exist')
    expect(statusInWords({ status: '4.4.1', action: 'delayed' })).toBe('Not delivered yet: the receiving server did not answer')
    expect(statusInWords({ status: '5.9.99', action: 'failed' })).toBe('The message could not be delivered')
  })
})

describe('bounce card in the reader', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  async function open(view: MessageView) {
    const app = mount(App, backend(view))
    unmount = app.unmount
    await settle()
    allByTestId(app.root, 'message-row')[0]?.click()
    await settle()
    return app
  }

  it('shows the headline, a row per recipient with the status in words and the server diagnostic, above the text', async () => {
    const app = await open(notice(failure))
    const card = byTestId(app.root, 'bounce-card')
    expect(card?.dataset.kind).toBe('failure')
    expect(byTestId(app.root, 'bounce-headline')?.textContent).toBe('Your message “Quarterly report” could not be delivered to 1 of 2 recipients')
    const rows = allByTestId(app.root, 'bounce-recipient')
    expect(rows.map((r) => r.dataset.address)).toEqual(['gone@remote.test'])
    expect(byTestId(app.root, 'bounce-status')?.textContent).toBe('The mailbox does not exist')
    expect(byTestId(app.root, 'bounce-diagnostic')?.textContent).toContain('mx.remote.test said:')
    expect(byTestId(app.root, 'bounce-diagnostic')?.textContent).toContain('550 5.1.1 no such user')
    const body = byTestId(app.root, 'reader-body')
    expect(card !== null && body !== null && (card.compareDocumentPosition(body) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0).toBe(true)
  })

  it('opens the composer with the failed recipients only, the subject and the original text', async () => {
    const app = await open(notice(failure))
    expect(byTestId(app.root, 'bounce-headers-only')).toBeNull()
    byTestId(app.root, 'bounce-resend')?.click()
    await settle()
    expect((byTestId(app.root, 'compose-to') as HTMLInputElement | null)?.value).toBe('gone@remote.test')
    expect((byTestId(app.root, 'compose-subject') as HTMLInputElement | null)?.value).toBe('Quarterly report')
    expect((byTestId(app.root, 'compose-body') as HTMLTextAreaElement | null)?.value).toBe('Hello Bob,\nthe report.\n')
    expect((byTestId(app.root, 'compose-from') as HTMLInputElement | null)?.value).toBe('me@box')
  })

  it('opens an empty text with a note when only the headers came back', async () => {
    const app = await open(notice({ ...failure, original: { ...failure.original, text: null } }))
    expect(byTestId(app.root, 'bounce-headers-only')?.textContent).toMatch(/Only the headers/)
    byTestId(app.root, 'bounce-resend')?.click()
    await settle()
    expect((byTestId(app.root, 'compose-to') as HTMLInputElement | null)?.value).toBe('gone@remote.test')
    expect((byTestId(app.root, 'compose-body') as HTMLTextAreaElement | null)?.value).toBe('')
  })

  it('offers no resend for a delay notice, and shows no card for an ordinary message', async () => {
    const delay: DeliveryReport = { ...failure, kind: 'delay', recipients: [{ address: 'slow@remote.test', action: 'delayed', status: '4.4.1' }] }
    const app = await open(notice(delay))
    expect(byTestId(app.root, 'bounce-card')?.dataset.kind).toBe('delay')
    expect(byTestId(app.root, 'bounce-resend')).toBeNull()
    unmount?.()
    const plain = await open(notice(undefined))
    expect(byTestId(plain.root, 'bounce-card')).toBeNull()
    expect(byTestId(plain.root, 'reader-body')?.textContent).toBe('This is the mail system.')
  })
})
