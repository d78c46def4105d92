// Outbox operations from the view: the right IPC call with the right arguments, hold/frozen badges, delete choices, edit recipients, countdowns.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { HoldInfo, OutboxMessage } from '@shared/contract'
import { fail, ok } from '@shared/result'
import { useAppStore } from '../../../src/renderer/src/stores/app'
import OutboxView from '../../../src/renderer/src/views/OutboxView.vue'
import { advance, allByTestId, byTestId, FakeTransport, mount, settle, typeInto } from './helpers'

type Recipient = OutboxMessage['recipients'][number]

const recipient = (address: string, over: Partial<Recipient> = {}): Recipient => ({ address, state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null, ...over })

function message(id: string, over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id, createdAt: 1, origin: 'ui', sender: 'me@example.org', subject: `Subject ${id}`, size: 100, state: 'queued',
    recipients: [recipient('bob@remote.test')], notBefore: null, hold: null, messageId: null, ...over
  }
}

const held = (kind: HoldInfo['kind'], reason: string, by: HoldInfo['by'] = 'user'): HoldInfo => ({ kind, by, reason, at: 1 })

const buttons = (root: HTMLElement): string[] =>
  [...root.querySelectorAll<HTMLElement>('[data-testid="outbox-actions"] button')].map((b) => b.dataset.testid ?? '')

async function openOutbox(transport: FakeTransport) {
  const view = mount(OutboxView, transport)
  useAppStore(view.pinia).info = { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@example.org' }
  await settle()
  return view
}

describe('outbox operations', () => {
  let unmount: (() => void) | undefined
  afterEach(() => {
    unmount?.()
    vi.useRealTimers()
  })

  it('offers hold, freeze, retry and delete for a waiting message, and none for a finished one', async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('w', { state: 'deferred' }), message('s', { state: 'sent', createdAt: 0 })])
    const view = await openOutbox(transport)
    unmount = view.unmount
    const [waiting, sent] = allByTestId(view.root, 'outbox-item')
    expect(buttons(waiting!)).toEqual(['outbox-hold', 'outbox-freeze', 'outbox-retry', 'outbox-delete'])
    expect(buttons(sent!)).toEqual([])
    expect(byTestId(waiting!, 'outbox-hold')?.getAttribute('aria-label')).toBe('Hold Subject w')
  })

  it('holds with outbox.hold {id}, shows the badge from the answer, and releases with outbox.release', async () => {
    const transport = new FakeTransport()
      .reply('outbox.list', [message('m1')])
      .handle('outbox.hold', ({ id }) => ok(message(id, { state: 'hold', hold: held('hold', 'held by you') })))
      .handle('outbox.release', ({ id }) => ok(message(id)))
    const view = await openOutbox(transport)
    unmount = view.unmount

    byTestId(view.root, 'outbox-hold')?.click()
    await settle()
    expect(transport.callsTo('outbox.hold')).toEqual([{ id: 'm1' }])
    const badge = byTestId(view.root, 'hold-badge')
    expect(badge?.dataset.kind).toBe('hold')
    expect(badge?.textContent).toBe('Held by you')
    expect(buttons(view.root)).toEqual(['outbox-release', 'outbox-edit-recipients', 'outbox-delete'])

    byTestId(view.root, 'outbox-release')?.click()
    await settle()
    expect(transport.callsTo('outbox.release')).toEqual([{ id: 'm1' }])
    expect(byTestId(view.root, 'hold-badge')).toBeNull()
  })

  it('freezes, thaws and retries with the matching calls', async () => {
    const transport = new FakeTransport()
      .reply('outbox.list', [message('m1', { state: 'deferred' })])
      .handle('outbox.retry', ({ id }) => ok(message(id, { state: 'deferred' })))
      .handle('outbox.freeze', ({ id }) => ok(message(id, { state: 'hold', hold: held('freeze', 'frozen by you') })))
      .handle('outbox.thaw', ({ id }) => ok(message(id, { state: 'deferred' })))
    const view = await openOutbox(transport)
    unmount = view.unmount

    byTestId(view.root, 'outbox-retry')?.click()
    await settle()
    expect(transport.callsTo('outbox.retry')).toEqual([{ id: 'm1' }])

    byTestId(view.root, 'outbox-freeze')?.click()
    await settle()
    expect(transport.callsTo('outbox.freeze')).toEqual([{ id: 'm1' }])
    expect(byTestId(view.root, 'hold-badge')?.textContent).toBe('Frozen by you')
    expect(buttons(view.root)).toEqual(['outbox-thaw', 'outbox-edit-recipients', 'outbox-delete'])

    byTestId(view.root, 'outbox-thaw')?.click()
    await settle()
    expect(transport.callsTo('outbox.thaw')).toEqual([{ id: 'm1' }])
    expect(byTestId(view.root, 'outbox-item')?.dataset.state).toBe('deferred')
  })

  it('names a reason that does not say it was held', async () => {
    const view = await openOutbox(new FakeTransport().reply('outbox.list', [message('m', { state: 'hold', hold: held('hold', 'waiting for the new price list') })]))
    unmount = view.unmount
    expect(byTestId(view.root, 'hold-badge')?.textContent).toBe('Held: waiting for the new price list')
  })

  it('shows a frozen bounce with the reason and who froze it', async () => {
    const bounce = message('b1', { sender: '', state: 'hold', hold: held('freeze', 'a bounce that cannot be delivered', 'system') })
    const view = await openOutbox(new FakeTransport().reply('outbox.list', [bounce]))
    unmount = view.unmount
    expect(byTestId(view.root, 'hold-badge')?.textContent).toBe('Frozen by Mailroom: a bounce that cannot be delivered')
    expect(view.root.textContent).toContain('From <>')
  })

  it('explains a refused operation in a toast naming the message', async () => {
    const transport = new FakeTransport()
      .reply('outbox.list', [message('m1')])
      .handle('outbox.hold', () => fail('INVALID_STATE', 'the message is being delivered right now'))
    const view = await openOutbox(transport)
    unmount = view.unmount
    byTestId(view.root, 'outbox-hold')?.click()
    await settle()
    expect(useAppStore(view.pinia).toast?.text).toBe('Could not hold "Subject m1": the message is being delivered right now')
    expect(byTestId(view.root, 'outbox-item')?.dataset.state).toBe('queued')
  })

  it("deletes the user's own message silently with outbox.delete {id, notifySender: false}", async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('m1')]).handle('outbox.delete', ({ id }) => ok({ id, deleted: true as const }))
    const view = await openOutbox(transport)
    unmount = view.unmount
    byTestId(view.root, 'outbox-delete')?.click()
    await settle()
    expect(byTestId(view.root, 'delete-notify')).toBeNull()
    expect(document.activeElement?.getAttribute('data-testid')).toBe('delete-silently')
    byTestId(view.root, 'delete-silently')?.click()
    await settle()
    expect(transport.callsTo('outbox.delete')).toEqual([{ id: 'm1', notifySender: false }])
    expect(view.root.textContent).toContain('The outbox is empty.')
  })

  it("offers to tell the sender when deleting someone else's message, and sends notifySender: true", async () => {
    const transport = new FakeTransport()
      .reply('outbox.list', [message('cli', { origin: 'cli', sender: 'cron@box.test' })])
      .handle('outbox.delete', ({ id }) => ok({ id, deleted: true as const }))
    const view = await openOutbox(transport)
    unmount = view.unmount
    byTestId(view.root, 'outbox-delete')?.click()
    await settle()
    expect(byTestId(view.root, 'delete-notify')?.textContent).toContain('Delete and tell the sender (cron@box.test)')
    expect(byTestId(view.root, 'delete-silently')?.textContent?.trim()).toBe('Delete silently')
    byTestId(view.root, 'delete-notify')?.click()
    await settle()
    expect(transport.callsTo('outbox.delete')).toEqual([{ id: 'cli', notifySender: true }])
  })

  it('cancels a delete with Escape and gives the focus back to the Delete button', async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('m1')])
    const view = await openOutbox(transport)
    unmount = view.unmount
    byTestId(view.root, 'outbox-delete')?.click()
    await settle()
    byTestId(view.root, 'delete-confirm')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await settle()
    expect(byTestId(view.root, 'delete-confirm')).toBeNull()
    expect(document.activeElement?.getAttribute('data-testid')).toBe('outbox-delete')
    expect(transport.callsTo('outbox.delete')).toEqual([])
  })
})

describe('editing the recipients of a held message', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  const heldMessage = message('h1', {
    state: 'hold',
    hold: held('hold', 'held by you'),
    recipients: [recipient('done@remote.test', { state: 'sent', attempts: 1 }), recipient('bob@remote.tset', { state: 'held' })]
  })

  async function openEditor(transport: FakeTransport) {
    const view = await openOutbox(transport.reply('outbox.list', [heldMessage]))
    unmount = view.unmount
    byTestId(view.root, 'outbox-edit-recipients')?.click()
    await settle()
    return view
  }

  it('starts with the recipients not yet delivered, focused', async () => {
    const view = await openEditor(new FakeTransport())
    const input = byTestId<HTMLTextAreaElement>(view.root, 'edit-recipients-input')
    expect(input?.value).toBe('bob@remote.tset')
    expect(document.activeElement).toBe(input)
  })

  it('refuses an invalid or empty list inline and calls nothing', async () => {
    const transport = new FakeTransport()
    const view = await openEditor(transport)
    typeInto(byTestId(view.root, 'edit-recipients-input'), 'bob@')
    byTestId(view.root, 'edit-recipients-save')?.click()
    await settle()
    expect(byTestId(view.root, 'edit-recipients-error')?.textContent).toBe('"bob@" is not a valid address: the domain is missing')
    expect(byTestId(view.root, 'edit-recipients-input')?.getAttribute('aria-invalid')).toBe('true')

    typeInto(byTestId(view.root, 'edit-recipients-input'), ' , ')
    await settle()
    expect(byTestId(view.root, 'edit-recipients-error')?.textContent).toBe('Keep at least one recipient')
    expect(transport.callsTo('outbox.editRecipients')).toEqual([])
  })

  it('saves the parsed list with outbox.editRecipients and shows the answer', async () => {
    const transport = new FakeTransport().handle('outbox.editRecipients', ({ id, recipients }) =>
      ok({ ...heldMessage, id, recipients: [heldMessage.recipients[0]!, ...recipients.map((a) => recipient(a, { state: 'held' }))] })
    )
    const view = await openEditor(transport)
    typeInto(byTestId(view.root, 'edit-recipients-input'), 'Bob <bob@remote.test>; carol@remote.test')
    byTestId(view.root, 'edit-recipients-save')?.click()
    await settle()
    expect(transport.callsTo('outbox.editRecipients')).toEqual([{ id: 'h1', recipients: ['bob@remote.test', 'carol@remote.test'] }])
    expect(byTestId(view.root, 'edit-recipients')).toBeNull()
    expect(allByTestId(view.root, 'recipient-state').map((r) => r.dataset.address)).toEqual(['done@remote.test', 'bob@remote.test', 'carol@remote.test'])
  })

  it("keeps the form open with the server's refusal under the field", async () => {
    const transport = new FakeTransport().handle('outbox.editRecipients', () => fail('INVALID_STATE', 'the message is no longer held'))
    const view = await openEditor(transport)
    typeInto(byTestId(view.root, 'edit-recipients-input'), 'bob@remote.test')
    byTestId(view.root, 'edit-recipients-save')?.click()
    await settle()
    expect(byTestId(view.root, 'edit-recipients-error')?.textContent).toBe('the message is no longer held')
    expect(byTestId<HTMLTextAreaElement>(view.root, 'edit-recipients-input')?.value).toBe('bob@remote.test')
  })
})

describe('outbox times', () => {
  let unmount: (() => void) | undefined
  afterEach(() => {
    unmount?.()
    vi.useRealTimers()
  })

  it('counts down to a send-later time and shows the absolute time', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 25, 16, 0, 0).getTime() })
    const notBefore = Date.now() + 90_000
    const view = await openOutbox(new FakeTransport().reply('outbox.list', [message('later', { notBefore })]))
    unmount = view.unmount
    const countdown = byTestId(view.root, 'send-countdown')
    expect(countdown?.dataset.notBefore).toBe(String(notBefore))
    expect(countdown?.textContent).toContain('Scheduled for')
    expect(countdown?.textContent).toContain('sending in 1 min 30 s')
    await advance(31_000)
    expect(byTestId(view.root, 'send-countdown')?.textContent).toContain('sending in 59 s')
    await advance(60_000)
    expect(byTestId(view.root, 'send-countdown')?.textContent).toContain('sending now…')
  })

  it('says a held send-later message waits for its release, and counts it as held in the summary', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 25, 16, 0, 0).getTime() })
    const notBefore = Date.now() + 3600_000
    const view = await openOutbox(new FakeTransport().reply('outbox.list', [
      message('h', { state: 'hold', notBefore, hold: held('hold', 'held by you') }),
      message('q', { createdAt: 0 })
    ]))
    unmount = view.unmount
    expect(byTestId(view.root, 'send-countdown')?.textContent?.replace(/\s+/g, ' ')).toContain('waits until it is released')
    expect(byTestId(view.root, 'outbox-summary')?.textContent).toBe('1 waiting, 1 held')
  })

  it('shows the next try relative, with the exact time on hover, and the original recipient', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 25, 16, 0, 0).getTime() })
    const nextAttemptAt = Date.now() + 4 * 60_000
    const deferred = recipient('bob@remote.test', {
      state: 'deferred', attempts: 1, nextAttemptAt, original: 'team@box.test',
      lastReply: { code: 421, enhanced: '4.4.2', text: '421 4.4.2 timeout', human: 'The server did not answer in time.', host: 'mx.remote.test' }
    })
    const view = await openOutbox(new FakeTransport().reply('outbox.list', [message('d', { state: 'deferred', recipients: [deferred] })]))
    unmount = view.unmount
    const next = byTestId(view.root, 'recipient-next')
    expect(next?.textContent?.replace(/\s+/g, ' ').trim()).toBe('· next try in 4 min')
    expect(next?.querySelector('time')?.getAttribute('title')).toBeTruthy()
    expect(byTestId(view.root, 'recipient-reply')?.textContent).toBe('The server did not answer in time. — 421 4.4.2, mx.remote.test')
    expect(byTestId(view.root, 'recipient-original')?.textContent).toBe('for team@box.test')
    await advance(60_000)
    expect(byTestId(view.root, 'recipient-next')?.textContent).toContain('next try in 3 min')
  })
})
