// The per-message trace in the outbox: opened on demand, the maillog lines in words, live while open, errors shown.
import { afterEach, describe, expect, it } from 'vitest'
import type { OutboxMessage, TraceEntry } from '@shared/contract'
import { fail, ok } from '@shared/result'
import OutboxView from '../../../src/renderer/src/views/OutboxView.vue'
import { allByTestId, byTestId, FakeTransport, mount, settle } from './helpers'

function message(id: string, over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id, createdAt: 1, origin: 'ui', sender: 'me@example.org', subject: `Subject ${id}`, size: 100, state: 'deferred',
    recipients: [{ address: 'bob@remote.test', state: 'deferred', attempts: 1, lastReply: null, nextAttemptAt: null }],
    notBefore: null, hold: null, messageId: null, ...over
  }
}

const deferredLine: TraceEntry = {
  time: '2026-11-25T15:50:24.123Z', component: 'smtp', level: 'info',
  text: 'to=<bob@remote.test>, relay=mx.remote.test[127.0.0.2]:25, delay=0.4, dsn=4.2.0, status=deferred (450 4.2.0 try later)',
  fields: { to: 'bob@remote.test', relay: 'mx.remote.test[127.0.0.2]:25', delay: '0.4', dsn: '4.2.0', status: 'deferred' },
  reply: '450 4.2.0 try later'
}
const noteLine: TraceEntry = {
  time: '2026-11-25T15:50:23.000Z', component: 'smtp', level: 'info',
  text: 'connect to down.remote.test[127.0.0.9]:25: connection refused', fields: {}
}
const sentLine: TraceEntry = {
  ...deferredLine, time: '2026-11-25T15:55:24.123Z', fields: { ...deferredLine.fields, dsn: '2.0.0', status: 'sent' }, reply: '250 2.0.0 Ok: queued as ABC'
}

describe('message trace', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  async function openOutbox(transport: FakeTransport) {
    const view = mount(OutboxView, transport)
    unmount = view.unmount
    await settle()
    return view
  }

  it('is closed at first and asks for nothing until opened', async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('A1')]).reply('outbox.trace', [deferredLine])
    const view = await openOutbox(transport)
    const toggle = byTestId(view.root, 'outbox-trace-toggle')
    expect(toggle?.getAttribute('aria-expanded')).toBe('false')
    expect(toggle?.getAttribute('aria-label')).toBe('Show the trace of Subject A1')
    expect(transport.callsTo('outbox.trace')).toEqual([])
    expect(allByTestId(view.root, 'trace-entry')).toEqual([])
  })

  it('opens with outbox.trace {id} and shows each line: time, status, recipient, relay and reply (or the note text)', async () => {
    const transport = new FakeTransport().reply('outbox.list', [message('A1')]).reply('outbox.trace', [noteLine, deferredLine])
    const view = await openOutbox(transport)
    byTestId(view.root, 'outbox-trace-toggle')?.click()
    await settle()
    expect(transport.callsTo('outbox.trace')).toEqual([{ id: 'A1' }])
    expect(byTestId(view.root, 'outbox-trace-toggle')?.getAttribute('aria-expanded')).toBe('true')
    const [note, attempt] = allByTestId(view.root, 'trace-entry')
    expect(note?.dataset.status).toBe('note')
    expect(byTestId(note!, 'trace-reply')?.textContent).toBe('connect to down.remote.test[127.0.0.9]:25: connection refused')
    expect(byTestId(note!, 'trace-relay')).toBeNull()
    expect(attempt?.dataset.status).toBe('deferred')
    expect(byTestId(attempt!, 'trace-time')?.getAttribute('datetime')).toBe('2026-11-25T15:50:24.123Z')
    expect(byTestId(attempt!, 'trace-status')?.textContent).toBe('deferred')
    expect(byTestId(attempt!, 'trace-to')?.textContent).toBe('bob@remote.test')
    expect(byTestId(attempt!, 'trace-relay')?.textContent).toBe('via mx.remote.test[127.0.0.2]:25')
    expect(byTestId(attempt!, 'trace-reply')?.textContent).toBe('450 4.2.0 try later')
  })

  it('reloads on outbox.changed for that message while open, and not for others or once closed', async () => {
    let lines = [deferredLine]
    const transport = new FakeTransport().reply('outbox.list', [message('A1'), message('B2', { createdAt: 0 })]).handle('outbox.trace', () => ok(lines))
    const view = await openOutbox(transport)
    byTestId(view.root, 'outbox-trace-toggle')?.click()
    await settle()
    lines = [deferredLine, sentLine]
    transport.emit('outbox.changed', message('B2', { createdAt: 0 }))
    await settle()
    expect(transport.callsTo('outbox.trace')).toEqual([{ id: 'A1' }])
    transport.emit('outbox.changed', message('A1', { state: 'sent' }))
    await settle()
    expect(transport.callsTo('outbox.trace')).toEqual([{ id: 'A1' }, { id: 'A1' }])
    expect(allByTestId(view.root, 'trace-entry').map((e) => e.dataset.status)).toEqual(['deferred', 'sent'])
    byTestId(view.root, 'outbox-trace-toggle')?.click()
    await settle()
    transport.emit('outbox.changed', message('A1', { state: 'sent' }))
    await settle()
    expect(transport.callsTo('outbox.trace')).toHaveLength(2)
  })

  it('says so when there is nothing logged yet, and shows a refusal as an error', async () => {
    const empty = new FakeTransport().reply('outbox.list', [message('A1')]).reply('outbox.trace', [])
    const first = await openOutbox(empty)
    byTestId(first.root, 'outbox-trace-toggle')?.click()
    await settle()
    expect(byTestId(first.root, 'trace-empty')?.textContent).toBe('No delivery attempts logged yet.')
    first.unmount()

    const broken = new FakeTransport().reply('outbox.list', [message('A1')]).handle('outbox.trace', () => fail('INTERNAL', 'log/maillog cannot be read'))
    const second = await openOutbox(broken)
    byTestId(second.root, 'outbox-trace-toggle')?.click()
    await settle()
    expect(byTestId(second.root, 'trace-error')?.textContent).toBe('Could not load the trace: log/maillog cannot be read')
  })
})
