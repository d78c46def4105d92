// The IPC edge: unknown calls, invalid arguments and thrown errors all become coded results; valid calls reach the handler.
import { describe, expect, it, vi } from 'vitest'
import { createDispatcher, type Handlers } from '../../../src/main/ipc/dispatch'
import { isTrustedSender } from '../../../src/main/ipc/sender-check'
import { AppError } from '../../../src/shared/result'
import { calls } from '../../../src/shared/contract'

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const unused = async (): Promise<never> => {
    throw new Error('not called')
  }
  const all = Object.fromEntries(Object.keys(calls).map((name) => [name, unused])) as unknown as Handlers
  return {
    ...all,
    'app.info': async () => ({ version: '1', mode: 'browser', hostname: 'h', defaultFrom: 'a@h' }),
    'compose.send': async () => ({ id: 'ID1', notBefore: null }),
    'outbox.list': async () => [],
    'accounts.list': async () => [],
    ...overrides
  }
}

describe('createDispatcher', () => {
  it('refuses a call that is not in the contract', async () => {
    const result = await createDispatcher(handlers())('fs.readFile', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } })
  })

  it('validates arguments before the handler runs and names the field', async () => {
    const send = vi.fn(async () => ({ id: 'x', notBefore: null }))
    const dispatch = createDispatcher(handlers({ 'compose.send': send }))
    const result = await dispatch('compose.send', { from: 'alice@x.test', to: ['not an address'], subject: 's', text: 't' })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_ARGUMENT')
      expect(result.error.message).toContain('to.0')
      expect(result.error.message).toContain('"not an address" is not a valid address')
    }
    expect(send).not.toHaveBeenCalled()
  })

  it('refuses a subject with a line break (header injection)', async () => {
    const result = await createDispatcher(handlers())('compose.send', { from: 'alice@x.test', to: ['b@y.test'], subject: 'hi\r\nBcc: evil@z.test', text: '' })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('refuses unknown argument keys', async () => {
    const result = await createDispatcher(handlers())('outbox.list', { everything: true })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('passes parsed arguments with defaults to the handler', async () => {
    const send = vi.fn(async () => ({ id: 'x', notBefore: null }))
    await createDispatcher(handlers({ 'compose.send': send }))('compose.send', { from: 'alice@x.test', to: ['b@y.test'], subject: 's', text: 't' })
    expect(send).toHaveBeenCalledWith({ from: 'alice@x.test', to: ['b@y.test'], cc: [], bcc: [], subject: 's', text: 't', sendAt: null, undo: false, inReplyTo: null, references: [], attachments: [], draftId: null })
  })

  it('refuses a delete without an id and an edit that removes every recipient', async () => {
    expect(await createDispatcher(handlers())('outbox.delete', { notifySender: true })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const edit = await createDispatcher(handlers())('outbox.editRecipients', { id: 'X', recipients: [] })
    expect(edit).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('keep at least one recipient') } })
  })

  it('turns AppError into its code and anything else into INTERNAL', async () => {
    const full = createDispatcher(handlers({ 'outbox.list': async () => { throw new AppError('QUEUE_FULL', 'The outbox is full (maxMessages 10)') } }))
    expect(await full('outbox.list', {})).toEqual({ ok: false, error: { code: 'QUEUE_FULL', message: 'The outbox is full (maxMessages 10)' } })
    const broken = createDispatcher(handlers({ 'outbox.list': async () => { throw new TypeError('boom') } }))
    expect(await broken('outbox.list', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })
})

describe('isTrustedSender', () => {
  const trusted = { fileUrl: 'file:///opt/mailroom/out/renderer/index.html' }
  it('accepts our renderer page in the main frame', () => {
    expect(isTrustedSender({ url: 'file:///opt/mailroom/out/renderer/index.html#/outbox', isMainFrame: true }, trusted)).toBe(true)
  })
  it('refuses iframes, other files, other origins and missing frames', () => {
    expect(isTrustedSender({ url: 'file:///opt/mailroom/out/renderer/index.html', isMainFrame: false }, trusted)).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/evil.html', isMainFrame: true }, trusted)).toBe(false)
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true }, trusted)).toBe(false)
    expect(isTrustedSender(null, trusted)).toBe(false)
    expect(isTrustedSender({ url: 'not a url', isMainFrame: true }, trusted)).toBe(false)
  })
  it('accepts the dev server origin only when one is configured', () => {
    expect(isTrustedSender({ url: 'http://localhost:5173/', isMainFrame: true }, { ...trusted, devServerUrl: 'http://localhost:5173' })).toBe(true)
    expect(isTrustedSender({ url: 'http://localhost:5173/', isMainFrame: true }, trusted)).toBe(false)
  })
})
