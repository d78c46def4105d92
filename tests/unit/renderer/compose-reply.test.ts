// The composer beyond plain messages: replies carry In-Reply-To/References, drafts autosave (debounced) and are deleted on
// discard, attachments are read as base64 within a limit, identities come from the accounts, undo brings everything back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Draft } from '@shared/contract'
import { fail, ok } from '@shared/result'
import { DRAFT_AUTOSAVE_MS, useComposeStore } from '../../../src/renderer/src/stores/compose'
import { useMailStore } from '../../../src/renderer/src/stores/mail'
import { MAX_ATTACHMENTS_BYTES } from '../../../src/renderer/src/util/attachments'
import App from '../../../src/renderer/src/App.vue'
import { advance, byTestId, createHarness, FakeTransport, mount, settle } from './helpers'

const savedDraft = (id: string, args: { subject?: string }): Draft => ({
  id, accountId: 'local', from: 'me@example.org', to: [], cc: [], bcc: [], subject: args.subject ?? '', text: '', inReplyTo: null, references: [], updatedAt: 5
})

describe('compose with replies, drafts and attachments', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends In-Reply-To, References, the draft id and attachments only when there are some', async () => {
    const transport = new FakeTransport().handle('compose.send', () => ok({ id: 'Q1', notBefore: null }))
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    compose.prefill({ from: 'me@example.org', to: 'carol@remote.test', subject: 'Re: Lunch?', body: 'Yes\n> Lunch?' }, { inReplyTo: '<m7@x>', references: ['<m1@x>', '<m7@x>'], draftId: 'd1' })
    await compose.addFiles([new File(['hello'], 'note.txt', { type: 'text/plain' })])
    const outcome = await compose.send()
    expect(transport.callsTo('compose.send')).toEqual([
      {
        from: 'me@example.org', to: ['carol@remote.test'], cc: [], bcc: [], subject: 'Re: Lunch?', text: 'Yes\n> Lunch?', sendAt: null, undo: false,
        inReplyTo: '<m7@x>', references: ['<m1@x>', '<m7@x>'], draftId: 'd1',
        attachments: [{ filename: 'note.txt', contentType: 'text/plain', contentBase64: 'aGVsbG8=' }]
      }
    ])
    // Undo gets the reply headers and the attachment back (not the draft id: the backend deleted that draft).
    expect(outcome?.draft.extras).toMatchObject({ inReplyTo: '<m7@x>', draftId: null, attachments: [{ filename: 'note.txt', size: 5 }] })
    compose.restore(outcome!.draft)
    expect(compose.extras.inReplyTo).toBe('<m7@x>')
    expect(compose.form.subject).toBe('Re: Lunch?')
  })

  it('refuses attachments past the limit with a sentence naming the file', async () => {
    const { pinia } = createHarness(new FakeTransport())
    const compose = useComposeStore(pinia)
    const big = { name: 'big.iso', size: MAX_ATTACHMENTS_BYTES + 1, type: 'application/octet-stream', arrayBuffer: () => Promise.reject(new Error('must not be read')) } as unknown as File
    await compose.addFiles([big])
    expect(compose.extras.attachments).toEqual([])
    expect(compose.attachmentError).toBe('"big.iso" (15 MB) was not attached: attachments may add up to 15 MB per message.')
  })

  it('autosaves the draft after a quiet time, reusing its id; a reply fill alone does not save', async () => {
    let n = 0
    const transport = new FakeTransport()
      .handle('drafts.save', (args) => ok(savedDraft(args.id ?? `d${++n}`, args)))
      .reply('drafts.delete', { deleted: true })
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    compose.prefill({ from: 'me@example.org', to: 'carol@remote.test', subject: 'Re: x' }, { inReplyTo: '<p@x>', references: ['<p@x>'] })
    await advance(DRAFT_AUTOSAVE_MS * 2)
    expect(transport.callsTo('drafts.save')).toEqual([])

    compose.form.body = 'Hel'
    await advance(DRAFT_AUTOSAVE_MS / 2)
    compose.form.body = 'Hello'
    await advance(DRAFT_AUTOSAVE_MS - 1)
    expect(transport.callsTo('drafts.save')).toEqual([])
    await advance(1)
    expect(transport.callsTo('drafts.save')).toEqual([
      { accountId: 'local', from: 'me@example.org', to: ['carol@remote.test'], cc: [], bcc: [], subject: 'Re: x', text: 'Hello', inReplyTo: '<p@x>', references: ['<p@x>'] }
    ])
    expect(compose.draftState.kind).toBe('saved')

    compose.form.body = 'Hello again'
    await advance(DRAFT_AUTOSAVE_MS)
    expect(transport.callsTo('drafts.save')[1]).toMatchObject({ id: 'd1', text: 'Hello again' })

    await compose.discard()
    expect(transport.callsTo('drafts.delete')).toEqual([{ id: 'd1' }])
    expect(compose.form.body).toBe('')
  })

  it('says when a draft could not be saved, and keeps the text', async () => {
    const transport = new FakeTransport().handle('drafts.save', () => fail('INVALID_STATE', 'drafts are not available yet'))
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    compose.form.subject = 'Keep me'
    await advance(DRAFT_AUTOSAVE_MS)
    expect(compose.draftState).toEqual({ kind: 'failed', reason: 'drafts are not available yet' })
    expect(compose.form.subject).toBe('Keep me')
  })

  it('offers every account identity as a From choice and files the draft under its account', async () => {
    const transport = new FakeTransport()
      .reply('accounts.list', [{ id: 'work', email: 'alice@imap.test', name: 'Alice' }, { id: 'local', email: 'me@box' }])
      .handle('accounts.get', () => ok({
        settings: { id: 'work', email: 'alice@imap.test', imap: { host: 'h', port: 1, security: 'none', user: 'u' }, identities: [{ email: 'sales@imap.test', name: 'Sales' }] },
        hasPassword: true,
        passwordInConfig: false
      }))
      .handle('drafts.save', (args) => ok(savedDraft('d9', args)))
    const { pinia } = createHarness(transport)
    await useMailStore(pinia).loadAccounts()
    const compose = useComposeStore(pinia)
    await compose.loadIdentities()
    expect(compose.identities.map((i) => [i.accountId, i.email])).toEqual([['work', 'alice@imap.test'], ['work', 'sales@imap.test'], ['local', 'me@box']])
    compose.form.from = 'sales@imap.test'
    compose.form.body = 'x'
    await compose.saveDraft()
    await settle()
    expect(transport.callsTo('drafts.save')).toMatchObject([{ accountId: 'work', from: 'sales@imap.test' }])
  })

  it('the Send as chooser sets From to the chosen identity', async () => {
    const transport = new FakeTransport()
      .reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@box' })
      .reply('accounts.list', [{ id: 'work', email: 'alice@imap.test', name: 'Alice' }])
      .reply('outbox.list', [])
      .reply('drafts.list', [])
      .handle('accounts.get', () => ok({
        settings: { id: 'work', email: 'alice@imap.test', imap: { host: 'h', port: 1, security: 'none', user: 'u' }, identities: [{ email: 'sales@imap.test', name: 'Sales' }] },
        hasPassword: true,
        passwordInConfig: false
      }))
    const view = mount(App, transport)
    await settle()
    byTestId(view.root, 'compose-button')?.click()
    await settle()
    const chooser = byTestId<HTMLSelectElement>(view.root, 'compose-identity')
    expect([...(chooser?.options ?? [])].map((o) => o.textContent)).toEqual(['Alice <alice@imap.test> · work', 'Sales <sales@imap.test> · work', 'me@box · local'])
    if (chooser !== null) {
      chooser.value = 'sales@imap.test'
      chooser.dispatchEvent(new Event('change'))
    }
    await settle()
    expect((byTestId(view.root, 'compose-from') as HTMLInputElement).value).toBe('sales@imap.test')
    view.unmount()
  })
})
