// Undo send and send later, through the whole app: the toast's countdown and focus, Undo bringing the draft back, "too late", send-later choices.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CallArgs } from '@shared/contract'
import { fail, ok } from '@shared/result'
import App from '../../../src/renderer/src/App.vue'
import { useComposeStore } from '../../../src/renderer/src/stores/compose'
import { useNavStore } from '../../../src/renderer/src/stores/nav'
import { useUndoStore } from '../../../src/renderer/src/stores/undo'
import { advance, byTestId, FakeTransport, mount, settle, typeInto } from './helpers'

const START = new Date(2026, 10, 25, 16, 0, 0).getTime()
const UNDO_MS = 10_000

/** A backend that answers the app's first loads; compose.send queues with a 10 s undo window unless sendAt is given. */
function backend(): FakeTransport {
  return new FakeTransport()
    .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@example.org' })
    .reply('accounts.list', [])
    .reply('outbox.list', [])
    .reply('outbox.status', { messages: 0, bytes: 0, queued: 0, deferred: 0, hold: 0, corrupt: 0, limits: { maxMessages: 10, maxBytes: 1e6, minFreeDisk: 0 }, freeDisk: null, refusing: null, offline: false })
    .handle('compose.send', (args: CallArgs<'compose.send'>) =>
      ok({ id: 'Q1', notBefore: args.sendAt ?? (args.undo ? Date.now() + UNDO_MS : null) })
    )
}

async function composeAndSend(transport: FakeTransport) {
  const view = mount(App, transport)
  await settle()
  byTestId(view.root, 'compose-button')?.click()
  await settle()
  typeInto(byTestId(view.root, 'compose-to'), 'bob@remote.test')
  typeInto(byTestId(view.root, 'compose-subject'), 'Hello')
  typeInto(byTestId(view.root, 'compose-body'), 'First draft')
  byTestId(view.root, 'compose-send')?.click()
  await settle()
  return view
}

const text = (el: Element | null | undefined): string => el?.textContent?.replace(/\s+/g, ' ').trim() ?? ''

describe('undo send', () => {
  let unmount: (() => void) | undefined
  beforeEach(() => {
    vi.useFakeTimers({ now: START })
  })
  afterEach(() => {
    unmount?.()
    vi.useRealTimers()
  })

  it('queues with undo and shows a live countdown toast that takes the focus', async () => {
    const transport = backend()
    const view = await composeAndSend(transport)
    unmount = view.unmount
    expect(transport.callsTo('compose.send')).toEqual([
      { from: 'me@example.org', to: ['bob@remote.test'], cc: [], bcc: [], subject: 'Hello', text: 'First draft', sendAt: null, undo: true }
    ])
    expect(useNavStore(view.pinia).route).toEqual({ name: 'outbox' })
    const toast = byTestId(view.root, 'undo-toast')
    expect(toast?.dataset.id).toBe('Q1')
    expect(text(byTestId(view.root, 'undo-countdown'))).toBe('Sending in 10 s')
    expect(document.activeElement).toBe(byTestId(view.root, 'undo-button'))
    expect(byTestId(view.root, 'undo-button')?.getAttribute('aria-label')).toBe('Undo sending “Hello”')

    await advance(3000)
    expect(text(byTestId(view.root, 'undo-countdown'))).toBe('Sending in 7 s')
  })

  it('Undo calls outbox.undo and reopens the composer with the same draft', async () => {
    const transport = backend().handle('outbox.undo', ({ id }) => ok({ id, deleted: true as const }))
    const view = await composeAndSend(transport)
    unmount = view.unmount
    await advance(4000)
    byTestId(view.root, 'undo-button')?.click()
    await settle()

    expect(transport.callsTo('outbox.undo')).toEqual([{ id: 'Q1' }])
    expect(useNavStore(view.pinia).route).toEqual({ name: 'compose' })
    expect(byTestId<HTMLInputElement>(view.root, 'compose-to')?.value).toBe('bob@remote.test')
    expect(byTestId<HTMLInputElement>(view.root, 'compose-subject')?.value).toBe('Hello')
    expect(byTestId<HTMLTextAreaElement>(view.root, 'compose-body')?.value).toBe('First draft')
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
  })

  it('says so when the message already went out, and keeps the composer empty', async () => {
    const transport = backend().handle('outbox.undo', () => fail('INVALID_STATE', 'delivery has started'))
    const view = await composeAndSend(transport)
    unmount = view.unmount
    byTestId(view.root, 'undo-button')?.click()
    await settle()

    const toast = byTestId(view.root, 'undo-toast')
    expect(toast?.dataset.state).toBe('too-late')
    expect(toast?.getAttribute('role')).toBe('alert')
    expect(text(byTestId(view.root, 'undo-message'))).toBe('Too late to undo: "Hello" has already been sent.')
    expect(useNavStore(view.pinia).route).toEqual({ name: 'outbox' })
    expect(useComposeStore(view.pinia).form.body).toBe('')

    await advance(6000)
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
  })

  it('lets the user try again when the undo failed for another reason inside the window', async () => {
    const transport = backend().handle('outbox.undo', () => fail('TRANSPORT_CLOSED', 'The connection to Mailroom was lost'))
    const view = await composeAndSend(transport)
    unmount = view.unmount
    byTestId(view.root, 'undo-button')?.click()
    await settle()
    expect(text(byTestId(view.root, 'undo-message'))).toBe('Could not undo: The connection to Mailroom was lost')
    expect(byTestId<HTMLButtonElement>(view.root, 'undo-button')?.disabled).toBe(false)
  })

  it('drops the toast and the draft when the window closes', async () => {
    const transport = backend()
    const view = await composeAndSend(transport)
    unmount = view.unmount
    await advance(UNDO_MS)
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
    expect(useUndoStore(view.pinia).entries).toEqual([])
  })

  it('Escape hides the toast; Undo stays in the Outbox until the window closes', async () => {
    const transport = backend().handle('outbox.undo', ({ id }) => ok({ id, deleted: true as const }))
    const view = await composeAndSend(transport)
    unmount = view.unmount
    transport.emit('outbox.changed', {
      id: 'Q1', createdAt: START, origin: 'ui', sender: 'me@example.org', subject: 'Hello', size: 300, state: 'queued',
      recipients: [{ address: 'bob@remote.test', state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null }], notBefore: START + UNDO_MS
    })
    byTestId(view.root, 'undo-toast')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await settle()
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
    expect(text(byTestId(view.root, 'send-countdown'))).toContain('Sending in 10 s (you can still undo it)')

    byTestId(view.root, 'outbox-undo')?.click()
    await settle()
    expect(transport.callsTo('outbox.undo')).toEqual([{ id: 'Q1' }])
    expect(useComposeStore(view.pinia).form.body).toBe('First draft')
  })

  it('forgets the draft when the message is deleted elsewhere', async () => {
    const transport = backend()
    const view = await composeAndSend(transport)
    unmount = view.unmount
    transport.emit('outbox.removed', { id: 'Q1' })
    await settle()
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
  })

  it('keeps the draft and names the limit when the queue is full', async () => {
    const transport = backend().handle('compose.send', () => fail('QUEUE_FULL', 'The outbox is full', { limit: 'queue.maxMessages = 10' }))
    const view = await composeAndSend(transport)
    unmount = view.unmount
    expect(text(byTestId(view.root, 'compose-error'))).toBe(
      'The outbox is full (limit: queue.maxMessages = 10). Your message is still here: send it again once some mail has gone out.'
    )
    expect(byTestId<HTMLTextAreaElement>(view.root, 'compose-body')?.value).toBe('First draft')
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
  })
})

describe('send later', () => {
  let unmount: (() => void) | undefined
  beforeEach(() => {
    vi.useFakeTimers({ now: START })
  })
  afterEach(() => {
    unmount?.()
    vi.useRealTimers()
  })

  async function openPicker(transport: FakeTransport) {
    const view = mount(App, transport)
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'compose-button')?.click()
    await settle()
    typeInto(byTestId(view.root, 'compose-to'), 'bob@remote.test')
    typeInto(byTestId(view.root, 'compose-subject'), 'Later')
    byTestId(view.root, 'compose-send-later')?.click()
    await settle()
    return view
  }

  it('sends with sendAt one hour ahead and no undo toast', async () => {
    const transport = backend()
    const view = await openPicker(transport)
    expect(byTestId(view.root, 'compose-send-later')?.getAttribute('aria-expanded')).toBe('true')
    expect(document.activeElement).toBe(byTestId(view.root, 'send-later-hour'))
    byTestId(view.root, 'send-later-hour')?.click()
    await settle()
    expect(transport.callsTo('compose.send')).toMatchObject([{ sendAt: START + 3600_000, undo: false, subject: 'Later' }])
    expect(byTestId(view.root, 'undo-toast')).toBeNull()
    expect(useNavStore(view.pinia).route).toEqual({ name: 'outbox' })
  })

  it('sends tomorrow at 8:00', async () => {
    const transport = backend()
    const view = await openPicker(transport)
    byTestId(view.root, 'send-later-tomorrow')?.click()
    await settle()
    expect(transport.callsTo('compose.send')).toMatchObject([{ sendAt: new Date(2026, 10, 26, 8, 0, 0).getTime() }])
  })

  it('takes a custom time to the second', async () => {
    const transport = backend()
    const view = await openPicker(transport)
    typeInto(byTestId(view.root, 'send-later-custom'), '2026-11-25T16:00:08')
    byTestId(view.root, 'send-later-custom-submit')?.click()
    await settle()
    expect(transport.callsTo('compose.send')).toMatchObject([{ sendAt: START + 8000, undo: false }])
  })

  it('refuses a past custom time inline and sends nothing', async () => {
    const transport = backend()
    const view = await openPicker(transport)
    typeInto(byTestId(view.root, 'send-later-custom'), '2026-11-25T15:59')
    byTestId(view.root, 'send-later-custom-submit')?.click()
    await settle()
    expect(text(byTestId(view.root, 'send-later-error'))).toBe('Choose a time in the future')
    expect(byTestId(view.root, 'send-later-custom')?.getAttribute('aria-invalid')).toBe('true')
    expect(transport.callsTo('compose.send')).toEqual([])
  })

  it('closes with Escape and gives the focus back to its button', async () => {
    const view = await openPicker(backend())
    byTestId(view.root, 'send-later-menu')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await settle()
    expect(byTestId(view.root, 'send-later-menu')).toBeNull()
    expect(document.activeElement).toBe(byTestId(view.root, 'compose-send-later'))
  })
})
