// Outbox: the list from outbox.list, live upserts from 'outbox.changed', and the badge of messages still waiting.
import { afterEach, describe, expect, it } from 'vitest'
import type { OutboxMessage } from '@shared/contract'
import type { QueueStatus } from '@shared/contract'
import { fail, ok, type Result } from '@shared/result'
import NavSidebar from '../../../src/renderer/src/components/NavSidebar.vue'
import { useAppStore } from '../../../src/renderer/src/stores/app'
import { useOutboxStore } from '../../../src/renderer/src/stores/outbox'
import QueueBanner from '../../../src/renderer/src/components/QueueBanner.vue'
import OutboxView from '../../../src/renderer/src/views/OutboxView.vue'
import { allByTestId, byTestId, createHarness, FakeTransport, mount, settle } from './helpers'

function message(id: string, state: OutboxMessage['state'], createdAt: number, recipients: OutboxMessage['recipients'] = []): OutboxMessage {
  return { id, createdAt, origin: 'ui', sender: 'me@example.org', subject: `Subject ${id}`, size: 100, state, recipients }
}

function status(over: Partial<QueueStatus> = {}): QueueStatus {
  return {
    messages: 0, bytes: 0, queued: 0, deferred: 0, hold: 0, corrupt: 0,
    limits: { maxMessages: 1000, maxBytes: 1e9, minFreeDisk: 1e8 }, freeDisk: 5e9, refusing: null, offline: false,
    ...over
  }
}

const pending = (address: string): OutboxMessage['recipients'][number] => ({ address, state: 'pending', attempts: 0, lastReply: null, nextAttemptAt: null })

describe('outbox store', () => {
  it('loads the list newest first and counts queued, deferred and held messages as active', async () => {
    const transport = new FakeTransport().reply('outbox.list', [
      message('a', 'sent', 1),
      message('b', 'deferred', 3),
      message('c', 'queued', 2),
      message('d', 'hold', 4),
      message('e', 'failed', 5)
    ])
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    await outbox.load()
    expect(outbox.messages.map((m) => m.id)).toEqual(['e', 'd', 'b', 'c', 'a'])
    expect(outbox.activeCount).toBe(3)
  })

  it('upserts by id from outbox.changed events', async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('a', 'queued', 1)])
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    await outbox.load()

    transport.emit('outbox.changed', message('b', 'queued', 2))
    expect(outbox.messages.map((m) => m.id)).toEqual(['b', 'a'])
    expect(outbox.activeCount).toBe(2)

    transport.emit('outbox.changed', message('a', 'sent', 1))
    expect(outbox.messages).toHaveLength(2)
    expect(outbox.get('a')?.state).toBe('sent')
    expect(outbox.activeCount).toBe(1)
  })

  it('keeps an event that arrives while the list is on its way (the event is newer)', async () => {
    let answer: (r: Result<OutboxMessage[]>) => void = () => {}
    const transport = new FakeTransport().handle('outbox.list', () => new Promise((resolve) => (answer = resolve)))
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    const loading = outbox.load()
    transport.emit('outbox.changed', message('a', 'sent', 1))
    answer(ok([message('a', 'queued', 1), message('b', 'queued', 2)]))
    await loading
    expect(outbox.get('a')?.state).toBe('sent')
    expect(outbox.get('b')?.state).toBe('queued')
  })

  it('drops a message on outbox.removed, also when the event beats the list', async () => {
    let answer: (r: Result<OutboxMessage[]>) => void = () => {}
    const transport = new FakeTransport().handle('outbox.list', () => new Promise((resolve) => (answer = resolve)))
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    const loading = outbox.load()
    transport.emit('outbox.removed', { id: 'a' })
    answer(ok([message('a', 'queued', 1), message('b', 'queued', 2)]))
    await loading
    expect(outbox.messages.map((m) => m.id)).toEqual(['b'])

    transport.emit('outbox.removed', { id: 'b' })
    expect(outbox.messages).toEqual([])
    expect(outbox.activeCount).toBe(0)
  })

  it('reads outbox.status and follows queue.status events', async () => {
    const transport = new FakeTransport().reply('outbox.status', status({ messages: 3 }))
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    await outbox.loadStatus()
    expect(outbox.status?.messages).toBe(3)
    transport.emit('queue.status', status({ messages: 4, offline: true }))
    expect(outbox.status?.offline).toBe(true)
  })

  it('keeps quiet when the status cannot be read (no toast; the banner is a hint)', async () => {
    const transport = new FakeTransport().handle('outbox.status', () => fail('INTERNAL', 'boom'))
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    await outbox.loadStatus()
    expect(outbox.status).toBeNull()
    expect(outbox.statusError?.code).toBe('INTERNAL')
    expect(useAppStore(pinia).toast).toBeNull()
  })

  it('reports a failed load as an error toast', async () => {
    const transport = new FakeTransport().handle('outbox.list', () => fail('SPOOL_IO', 'The spool cannot be read'))
    const { pinia } = createHarness(transport)
    const outbox = useOutboxStore(pinia)
    await outbox.load()
    expect(outbox.error?.code).toBe('SPOOL_IO')
    expect(useAppStore(pinia).toast?.text).toBe('Could not load the outbox: The spool cannot be read')
  })
})

describe('outbox views', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('shows the badge with the active count and updates it from events', async () => {
    const transport = new FakeTransport().reply('accounts.list', []).reply('outbox.list', [])
    const view = mount(NavSidebar, transport)
    unmount = view.unmount
    await settle()
    expect(byTestId(view.root, 'outbox-badge')).toBeNull()

    transport.emit('outbox.changed', message('a', 'queued', 1))
    transport.emit('outbox.changed', message('b', 'deferred', 2))
    await settle()
    expect(byTestId(view.root, 'outbox-badge')?.textContent).toBe('2')

    transport.emit('outbox.changed', message('a', 'sent', 1))
    await settle()
    expect(byTestId(view.root, 'outbox-badge')?.textContent).toBe('1')
  })

  it('shows each message with per-recipient state chips, the last reply and the next attempt', async () => {
    const deferred = {
      address: 'bob@example.net',
      state: 'deferred' as const,
      attempts: 2,
      lastReply: { code: 451, enhanced: '4.7.1', text: '451 4.7.1 Greylisted, try later', human: 'The server asked us to try again later (greylisting).' },
      nextAttemptAt: Date.now() + 5 * 60_000
    }
    const transport = new FakeTransport().reply('outbox.list', [message('m1', 'deferred', 1, [pending('alice@example.org'), deferred])])
    const view = mount(OutboxView, transport)
    unmount = view.unmount
    await settle()

    const item = byTestId(view.root, 'outbox-item')
    expect(item?.dataset.id).toBe('m1')
    expect(item?.dataset.state).toBe('deferred')
    const chips = allByTestId(view.root, 'recipient-state')
    expect(chips.map((c) => [c.dataset.address, c.dataset.state])).toEqual([
      ['alice@example.org', 'pending'],
      ['bob@example.net', 'deferred']
    ])
    expect(chips[1]?.textContent).toContain('The server asked us to try again later (greylisting).')
    expect(chips[1]?.textContent).toContain('next try in 5 min')

    transport.emit('outbox.changed', message('m1', 'sent', 1, [{ ...pending('alice@example.org'), state: 'sent' }, { ...deferred, state: 'sent', nextAttemptAt: null }]))
    await settle()
    expect(byTestId(view.root, 'outbox-item')?.dataset.state).toBe('sent')
    expect(allByTestId(view.root, 'recipient-state').map((c) => c.dataset.state)).toEqual(['sent', 'sent'])
  })

  it('says when the outbox is empty', async () => {
    const view = mount(OutboxView, new FakeTransport().reply('outbox.list', []))
    unmount = view.unmount
    await settle()
    expect(view.root.textContent).toContain('The outbox is empty.')
  })
})

describe('queue banner', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('is absent while the queue accepts mail and is online', async () => {
    const transport = new FakeTransport()
    const view = mount(QueueBanner, transport)
    unmount = view.unmount
    transport.emit('queue.status', status({ messages: 2, queued: 2 }))
    await settle()
    expect(byTestId(view.root, 'queue-banner')).toBeNull()
  })

  it('says the queue refuses mail, naming the limit', async () => {
    const transport = new FakeTransport()
    const view = mount(QueueBanner, transport)
    unmount = view.unmount
    transport.emit('queue.status', status({ messages: 1000, refusing: '1000 messages (queue.maxMessages is 1000)' }))
    await settle()
    const banner = byTestId(view.root, 'queue-banner')
    expect(banner?.dataset.state).toBe('refusing')
    expect(banner?.getAttribute('role')).toBe('alert')
    expect(banner?.textContent).toContain('The outbox is not accepting new mail: 1000 messages (queue.maxMessages is 1000). Messages already queued')
  })

  it('shows a refusal that is already a whole sentence once, without a double period', async () => {
    const transport = new FakeTransport()
    const view = mount(QueueBanner, transport)
    unmount = view.unmount
    transport.emit('queue.status', status({ messages: 1, refusing: 'The outbox is full: 1 message (queue.maxMessages is 1). Nothing was queued; try again later.' }))
    await settle()
    expect(byTestId(view.root, 'queue-banner')?.textContent?.trim()).toBe(
      'The outbox is full: 1 message (queue.maxMessages is 1). Nothing was queued; try again later. Messages already queued are kept and will be sent.'
    )
  })

  it('says how many messages wait for the network when offline', async () => {
    const transport = new FakeTransport()
    const view = mount(QueueBanner, transport)
    unmount = view.unmount
    transport.emit('queue.status', status({ messages: 5, queued: 1, deferred: 3, hold: 1, offline: true }))
    await settle()
    const banner = byTestId(view.root, 'queue-banner')
    expect(banner?.dataset.state).toBe('offline')
    expect(banner?.textContent?.trim()).toBe('Waiting for the network – 4 messages will be sent when you are back online.')

    transport.emit('queue.status', status({ messages: 5, queued: 1, deferred: 3, hold: 1, offline: false }))
    await settle()
    expect(byTestId(view.root, 'queue-banner')).toBeNull()
  })
})
