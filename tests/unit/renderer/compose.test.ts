// Compose: per-field validation with the shared address check, the parsed send call, and the server's refusal shown to the user.
import { afterEach, describe, expect, it } from 'vitest'
import { fail, ok } from '@shared/result'
import { useAppStore } from '../../../src/renderer/src/stores/app'
import { useComposeStore, validateCompose } from '../../../src/renderer/src/stores/compose'
import { useNavStore } from '../../../src/renderer/src/stores/nav'
import { parseRecipients } from '../../../src/renderer/src/util/recipients'
import ComposeView from '../../../src/renderer/src/views/ComposeView.vue'
import { byTestId, createHarness, FakeTransport, mount, settle, typeInto } from './helpers'

const blank = { from: 'me@example.org', to: '', cc: '', bcc: '', subject: 'Hi', body: 'Hello' }

describe('recipient parsing', () => {
  it('splits on commas, semicolons and spaces, drops empties and repeats', () => {
    expect(parseRecipients(' a@x.org, b@y.org;;c@z.org  A@X.org ,')).toEqual(['a@x.org', 'b@y.org', 'c@z.org'])
  })

  it('keeps a comma inside a quoted local part', () => {
    expect(parseRecipients('"a,b"@x.org, c@y.org')).toEqual(['"a,b"@x.org', 'c@y.org'])
  })

  it('takes the address out of "Name <address>", even with a comma in a quoted name', () => {
    expect(parseRecipients('Bob <bob@remote.test>, carol@remote.test')).toEqual(['bob@remote.test', 'carol@remote.test'])
    expect(parseRecipients('"Doe, Jane" <jane@x.org>; Dan Smith <dan@y.org>\nd@z.org')).toEqual(['jane@x.org', 'dan@y.org', 'd@z.org'])
  })
})

describe('compose validation', () => {
  it('refuses an empty To', () => {
    expect(validateCompose({ ...blank, to: ' , ' }).to).toBe('Add at least one recipient')
  })

  it('gives the reason an address is invalid, per field', () => {
    const errors = validateCompose({ ...blank, from: 'me@', to: 'ok@example.org, bob', cc: 'carol@@example.org' })
    expect(errors.from).toBe('"me@" is not a valid address: the domain is missing')
    expect(errors.to).toBe('"bob" is not a valid address: the address has no @')
    expect(errors.cc).toContain('"carol@@example.org" is not a valid address')
    expect(errors.subject).toBeUndefined()
  })

  it('wants exactly one From address', () => {
    expect(validateCompose({ ...blank, to: 'a@example.org', from: 'a@x.org, b@x.org' }).from).toBe('Enter a single From address')
    expect(validateCompose({ ...blank, to: 'a@example.org', from: 'Me <me@example.org>' }).from).toBeUndefined()
  })

  it('accepts a valid form', () => {
    expect(validateCompose({ ...blank, to: 'a@example.org' })).toEqual({})
  })
})

describe('compose store', () => {
  it('does not call compose.send while the form is invalid, and shows the errors after the attempt', async () => {
    const transport = new FakeTransport()
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    compose.form.from = 'me@example.org'
    expect(compose.visibleErrors.to).toBeUndefined()

    expect(await compose.send()).toBeNull()

    expect(transport.callsTo('compose.send')).toEqual([])
    expect(compose.visibleErrors.to).toBe('Add at least one recipient')
  })

  it('sends parsed recipient lists, then clears the form and returns the id with the draft', async () => {
    const transport = new FakeTransport().handle('compose.send', () => ok({ id: 'Q123', notBefore: null }))
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    const filled = { from: ' me@example.org ', to: 'a@example.org, b@example.net', cc: 'c@example.com', bcc: '', subject: 'Report', body: 'Text\n' }
    Object.assign(compose.form, filled)

    expect(await compose.send()).toEqual({ id: 'Q123', notBefore: null, draft: filled })

    expect(transport.callsTo('compose.send')).toEqual([
      { from: 'me@example.org', to: ['a@example.org', 'b@example.net'], cc: ['c@example.com'], bcc: [], subject: 'Report', text: 'Text\n', sendAt: null, undo: false }
    ])
    expect(compose.form.to).toBe('')
    expect(compose.form.subject).toBe('')
    expect(compose.serverError).toBeNull()
  })

  it("keeps the form and shows the server's message when the send is refused", async () => {
    const transport = new FakeTransport().handle('compose.send', () => fail('QUEUE_FULL', 'The outbox is full (1000 messages); try again later'))
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    Object.assign(compose.form, { from: 'me@example.org', to: 'a@example.org', subject: 'S', body: 'B' })

    expect(await compose.send()).toBeNull()

    expect(compose.serverError).toBe(
      'The outbox is full (1000 messages); try again later. Your message is still here: send it again once some mail has gone out.'
    )
  })

  it('does not repeat the limit the sentence already names, nor its final period', async () => {
    const transport = new FakeTransport().handle('compose.send', () =>
      fail('QUEUE_FULL', 'The outbox is full: 3 messages (queue.maxMessages is 3). Nothing was queued; try again later.', { limit: 'queue.maxMessages' })
    )
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    Object.assign(compose.form, { from: 'me@example.org', to: 'a@example.org', subject: 'S', body: 'B' })
    await compose.send()
    expect(compose.serverError).toBe(
      'The outbox is full: 3 messages (queue.maxMessages is 3). Nothing was queued; try again later. Your message is still here: send it again once some mail has gone out.'
    )
    expect(compose.form.to).toBe('a@example.org')
    expect(compose.form.body).toBe('B')
  })

  it('warns that the message may be queued when the link broke after the request left', async () => {
    const transport = new FakeTransport().handle('compose.send', () =>
      fail('TRANSPORT_CLOSED', 'The connection to Mailroom was lost before compose.send was answered', { requestSent: true })
    )
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    Object.assign(compose.form, { from: 'me@example.org', to: 'a@example.org' })

    await compose.send()

    expect(compose.serverError).toContain('Check the Outbox before sending again')
  })

  it('fills From with the default address from app.info', async () => {
    const transport = new FakeTransport().reply('app.info', { version: '0.1.0', mode: 'browser', hostname: 'box', defaultFrom: 'me@box' })
    const { pinia } = createHarness(transport)
    const compose = useComposeStore(pinia)
    await useAppStore(pinia).loadInfo()
    await settle()
    expect(compose.form.from).toBe('me@box')
  })
})

describe('ComposeView', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('shows the inline reason for an invalid address and sends nothing', async () => {
    const transport = new FakeTransport()
    const view = mount(ComposeView, transport)
    unmount = view.unmount
    typeInto(byTestId(view.root, 'compose-from'), 'me@example.org')
    typeInto(byTestId(view.root, 'compose-to'), 'bob@')
    byTestId(view.root, 'compose-send')?.click()
    await settle()

    expect(byTestId(view.root, 'compose-to-error')?.textContent).toBe('"bob@" is not a valid address: the domain is missing')
    expect(byTestId(view.root, 'compose-to')?.getAttribute('aria-invalid')).toBe('true')
    expect(transport.callsTo('compose.send')).toEqual([])
  })

  it('refuses an empty To with a message under the field', async () => {
    const transport = new FakeTransport()
    const view = mount(ComposeView, transport)
    unmount = view.unmount
    typeInto(byTestId(view.root, 'compose-from'), 'me@example.org')
    byTestId(view.root, 'compose-send')?.click()
    await settle()

    expect(byTestId(view.root, 'compose-to-error')?.textContent).toBe('Add at least one recipient')
    expect(transport.callsTo('compose.send')).toEqual([])
  })

  it("shows the server's error message when sending fails", async () => {
    const transport = new FakeTransport().handle('compose.send', () => fail('INVALID_ADDRESS', 'to.0: "a@example.invalid" has no mail server'))
    const view = mount(ComposeView, transport)
    unmount = view.unmount
    typeInto(byTestId(view.root, 'compose-from'), 'me@example.org')
    typeInto(byTestId(view.root, 'compose-to'), 'a@example.invalid')
    byTestId(view.root, 'compose-send')?.click()
    await settle()

    expect(byTestId(view.root, 'compose-error')?.textContent).toBe('to.0: "a@example.invalid" has no mail server')
    expect(useNavStore(view.pinia).route).toEqual({ name: 'start' })
  })

  it('sends the parsed lists with an undo window and goes to the Outbox on success', async () => {
    const transport = new FakeTransport().handle('compose.send', () => ok({ id: 'Q1', notBefore: null }))
    const view = mount(ComposeView, transport)
    unmount = view.unmount
    typeInto(byTestId(view.root, 'compose-from'), 'me@example.org')
    typeInto(byTestId(view.root, 'compose-to'), 'Alice <a@example.org>; b@example.org')
    typeInto(byTestId(view.root, 'compose-cc'), 'c@example.org')
    typeInto(byTestId(view.root, 'compose-subject'), 'Hello')
    typeInto(byTestId(view.root, 'compose-body'), 'Body text')
    byTestId(view.root, 'compose-send')?.click()
    await settle()

    expect(transport.callsTo('compose.send')).toEqual([
      { from: 'me@example.org', to: ['a@example.org', 'b@example.org'], cc: ['c@example.org'], bcc: [], subject: 'Hello', text: 'Body text', sendAt: null, undo: true }
    ])
    expect(useNavStore(view.pinia).route).toEqual({ name: 'outbox' })
  })

  it('labels every field for assistive technology', () => {
    const view = mount(ComposeView, new FakeTransport())
    unmount = view.unmount
    for (const id of ['compose-from', 'compose-to', 'compose-cc', 'compose-subject', 'compose-body']) {
      const control = byTestId(view.root, id)
      expect(view.root.querySelector(`label[for="${control?.id}"]`)?.textContent?.trim()).toBeTruthy()
    }
  })
})
