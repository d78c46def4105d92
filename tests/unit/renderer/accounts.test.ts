// The Accounts view: list, add (discover → fill → test step by step → save with the storage note and weak consent),
// edit without retyping the password, remove with confirmation; the mail store's account list follows.
import { afterEach, describe, expect, it } from 'vitest'
import type { AccountDetails, AccountSummary, ConnectionTestResult, DiscoveryResult, SecretStorageInfo } from '@shared/contract'
import { fail, ok } from '@shared/result'
import AccountsView from '../../../src/renderer/src/views/AccountsView.vue'
import { allByTestId, byTestId, FakeTransport, mount, settle, typeInto } from './helpers'

const storage: SecretStorageInfo = { backend: 'file', note: 'Passwords are kept in /home/me/.local/share/mailroom/secrets.json, readable only by your user.', weak: false }
const found: DiscoveryResult = {
  domain: 'example.org', source: 'srv', notes: [],
  imap: [{ host: 'imap.example.org', port: 993, security: 'tls', source: 'srv', record: '_imaps._tcp.example.org' }],
  smtp: [{ host: 'smtp.example.org', port: 587, security: 'starttls', source: 'srv', record: '_submission._tcp.example.org' }]
}
const details: AccountDetails = {
  settings: { id: 'me-example.org', email: 'me@example.org', imap: { host: 'imap.example.org', port: 993, security: 'tls', user: 'me@example.org' }, smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' }, identities: [{ email: 'sales@example.org' }] },
  hasPassword: true, passwordInConfig: false
}
const failedLogin: ConnectionTestResult = {
  ok: false,
  imap: [
    { step: 'dns', ok: true, detail: 'imap.example.org is at 192.0.2.1.' },
    { step: 'tcp', ok: true, detail: 'Connected to imap.example.org:993.' },
    { step: 'tls', ok: true, detail: 'Secure connection.' },
    { step: 'auth', ok: false, detail: 'The server refused the login for me@example.org: check the user name and password.' }
  ],
  smtp: null
}

function transport(list: AccountSummary[] = [{ id: 'local', email: 'me@box', name: 'Local' }]): FakeTransport {
  return new FakeTransport().reply('accounts.list', list).reply('accounts.secretStorage', storage).reply('accounts.discover', found)
}

describe('accounts view', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('lists IMAP accounts (not Local) and shows where passwords are kept', async () => {
    const view = mount(AccountsView, transport([{ id: 'work', email: 'me@work.test', name: 'Work' }, { id: 'local', email: 'me@box', name: 'Local' }]))
    unmount = view.unmount
    await settle()
    expect(allByTestId(view.root, 'account-row').map((r) => r.dataset.id)).toEqual(['work'])
    expect(byTestId(view.root, 'accounts-secret-note')?.textContent).toContain('secrets.json')
  })

  it('adds an account: discovery fills the form, the test shows each step, save sends settings and password', async () => {
    const t = transport().reply('accounts.test', failedLogin).reply('accounts.add', details)
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    expect(byTestId(view.root, 'accounts-empty')).not.toBeNull()
    byTestId(view.root, 'account-add')?.click()
    await settle()
    typeInto(byTestId(view.root, 'account-email'), 'me@example.org')
    typeInto(byTestId(view.root, 'account-password'), 'pw')
    byTestId(view.root, 'account-discover')?.click()
    await settle()
    expect(t.callsTo('accounts.discover')).toEqual([{ email: 'me@example.org' }])
    expect(byTestId<HTMLInputElement>(view.root, 'account-imap-host')?.value).toBe('imap.example.org')
    expect(byTestId<HTMLInputElement>(view.root, 'account-imap-user')?.value).toBe('me@example.org')
    expect(byTestId<HTMLInputElement>(view.root, 'account-smtp-port')?.value).toBe('587')
    byTestId(view.root, 'account-test')?.click()
    await settle()
    const steps = allByTestId(view.root, 'account-test-step')
    expect(steps.map((s) => `${s.dataset.step}:${s.dataset.ok}`)).toEqual(['dns:true', 'tcp:true', 'tls:true', 'auth:false'])
    expect(steps[3]?.textContent).toContain('refused the login')
    expect(byTestId(view.root, 'account-secret-note')?.textContent).toContain('secrets.json')
    byTestId(view.root, 'account-save')?.click()
    await settle()
    expect(t.callsTo('accounts.add')).toEqual([{
      settings: { email: 'me@example.org', imap: { host: 'imap.example.org', port: 993, security: 'tls', user: 'me@example.org' }, smtp: { host: 'smtp.example.org', port: 587, security: 'starttls' } },
      password: 'pw', allowWeakSecretStorage: false
    }])
    expect(byTestId(view.root, 'account-saved')).not.toBeNull()
    expect(t.callsTo('accounts.list').length).toBeGreaterThanOrEqual(3) // the view's and the mail store's reloads
  })

  it('refuses a form with errors per field and does not call the backend', async () => {
    const t = transport()
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'account-add')?.click()
    await settle()
    byTestId(view.root, 'account-manual')?.click()
    await settle()
    typeInto(byTestId(view.root, 'account-email'), 'me@example.org')
    typeInto(byTestId(view.root, 'account-imap-port'), '99999')
    byTestId(view.root, 'account-save')?.click()
    await settle()
    expect(byTestId(view.root, 'account-imap-host-error')?.textContent).toContain('IMAP server name')
    expect(byTestId(view.root, 'account-imap-port-error')?.textContent).toContain('1 to 65535')
    expect(t.callsTo('accounts.add')).toEqual([])
  })

  it('asks for consent when only a weak password store exists, and shows the server\'s refusal', async () => {
    const t = transport().reply('accounts.secretStorage', { backend: 'keychain', note: 'No keyring is available.', weak: true })
      .handle('accounts.add', () => fail('SECRET_STORE', 'No keyring is available. The password was not stored.'))
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'account-add')?.click()
    await settle()
    typeInto(byTestId(view.root, 'account-email'), 'me@example.org')
    typeInto(byTestId(view.root, 'account-password'), 'pw')
    byTestId(view.root, 'account-discover')?.click()
    await settle()
    expect(byTestId<HTMLButtonElement>(view.root, 'account-save')?.disabled).toBe(true)
    byTestId<HTMLInputElement>(view.root, 'account-weak-consent')?.click()
    await settle()
    byTestId(view.root, 'account-save')?.click()
    await settle()
    expect(t.callsTo('accounts.add')).toMatchObject([{ allowWeakSecretStorage: true }])
    expect(byTestId(view.root, 'account-error')?.textContent).toContain('was not stored')
  })

  it('makes the user confirm guessed servers before saving', async () => {
    const guessed: DiscoveryResult = { ...found, source: 'guess', notes: ['example.org publishes no SRV records for mail; these are common server names.'] }
    const view = mount(AccountsView, transport().reply('accounts.discover', guessed))
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'account-add')?.click()
    await settle()
    typeInto(byTestId(view.root, 'account-email'), 'me@example.org')
    byTestId(view.root, 'account-discover')?.click()
    await settle()
    expect(byTestId(view.root, 'account-discovery')?.textContent).toContain('no SRV records')
    expect(byTestId<HTMLButtonElement>(view.root, 'account-save')?.disabled).toBe(true)
    byTestId<HTMLInputElement>(view.root, 'account-confirm-guess')?.click()
    await settle()
    expect(byTestId<HTMLButtonElement>(view.root, 'account-save')?.disabled).toBe(false)
  })

  it('edits an account keeping what the form does not show, without retyping the password', async () => {
    const t = transport([{ id: 'me-example.org', email: 'me@example.org' }, { id: 'local', email: 'me@box', name: 'Local' }]).reply('accounts.get', details).reply('accounts.update', details)
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'account-edit')?.click()
    await settle()
    expect(byTestId<HTMLInputElement>(view.root, 'account-imap-host')?.value).toBe('imap.example.org')
    typeInto(byTestId(view.root, 'account-name'), 'Me')
    byTestId(view.root, 'account-save')?.click()
    await settle()
    expect(t.callsTo('accounts.update')).toEqual([{
      id: 'me-example.org', allowWeakSecretStorage: false,
      settings: { id: 'me-example.org', identities: [{ email: 'sales@example.org' }], email: 'me@example.org', name: 'Me', imap: details.settings.imap, smtp: details.settings.smtp }
    }])
  })

  it('removes an account only after confirmation', async () => {
    const t = transport([{ id: 'work', email: 'me@work.test' }, { id: 'local', email: 'me@box', name: 'Local' }]).handle('accounts.remove', () => ok({ removed: true }))
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    byTestId(view.root, 'account-remove')?.click()
    await settle()
    expect(t.callsTo('accounts.remove')).toEqual([])
    expect(byTestId(view.root, 'account-remove-dialog')?.textContent).toContain('stored password is deleted')
    byTestId(view.root, 'account-remove-cancel')?.click()
    await settle()
    expect(byTestId(view.root, 'account-remove-dialog')).toBeNull()
    byTestId(view.root, 'account-remove')?.click()
    await settle()
    t.reply('accounts.list', [{ id: 'local', email: 'me@box', name: 'Local' }])
    byTestId(view.root, 'account-remove-confirm')?.click()
    await settle()
    expect(t.callsTo('accounts.remove')).toEqual([{ id: 'work' }])
    expect(allByTestId(view.root, 'account-row')).toEqual([])
  })

  it('follows accounts.changed pushed by the backend', async () => {
    const t = transport()
    const view = mount(AccountsView, t)
    unmount = view.unmount
    await settle()
    t.emit('accounts.changed', { accounts: [{ id: 'new', email: 'n@x.test' }, { id: 'local', email: 'me@box' }] })
    await settle()
    expect(allByTestId(view.root, 'account-row').map((r) => r.dataset.id)).toEqual(['new'])
  })
})
