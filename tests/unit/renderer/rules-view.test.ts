// The Rules view: tabs, rows with target chips and their errors, raw text with marked lines, save/backup/conflict, live preview, out of office.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CallArgs, VacationState } from '@shared/contract'
import { fail, ok } from '@shared/result'
import RulesView from '../../../src/renderer/src/views/RulesView.vue'
import { advance, allByTestId, byTestId, mount, settle, typeInto } from './helpers'
import { ALIASES_TEXT, rulesTransport } from './rules-fixtures'

describe('rules view', () => {
  let unmount: (() => void) | undefined
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    unmount?.()
    unmount = undefined
    vi.useRealTimers()
  })

  async function view(transport = rulesTransport()) {
    const mounted = mount(RulesView, transport)
    unmount = mounted.unmount
    await settle()
    return { ...mounted, transport }
  }

  it('opens on the aliases as rows: name → targets with a chip per target kind and the line', async () => {
    const { root } = await view()
    expect(byTestId(root, 'rules-tab-aliases')?.getAttribute('aria-selected')).toBe('true')
    const rows = allByTestId(root, 'rules-row')
    expect(rows.map((r) => byTestId<HTMLInputElement>(r, 'rules-row-name')?.value)).toEqual(['postmaster', 'www'])
    expect(rows.map((r) => r.dataset.line)).toEqual(['2', '3'])
    expect(byTestId(rows[0] as HTMLElement, 'rules-row-comment')?.textContent).toBe('system')
    expect(byTestId(rows[1] as HTMLElement, 'rules-row-line')?.textContent).toBe('line 3')
    typeInto(byTestId(rows[1] as HTMLElement, 'rules-row-targets'), 'webmaster, "|/usr/bin/logger -t web", /tmp/copy.mbox')
    await settle()
    expect(allByTestId(rows[1] as HTMLElement, 'rules-target-chip').map((c) => c.dataset.kind)).toEqual(['address', 'program', 'file'])
    expect(byTestId(root, 'rules-dirty')).not.toBeNull()
    expect(byTestId<HTMLButtonElement>(root, 'rules-save')?.disabled).toBe(false)
  })

  it('puts a validation error under its row and marks the fields invalid', async () => {
    const { root } = await view()
    byTestId(root, 'rules-add-row')?.click()
    await settle()
    const added = allByTestId(root, 'rules-row')[2] as HTMLElement
    expect(document.activeElement).toBe(byTestId(added, 'rules-row-name'))
    typeInto(byTestId(added, 'rules-row-name'), 'team')
    typeInto(byTestId(added, 'rules-row-targets'), 'me')
    await advance(250)
    expect(byTestId(added, 'rules-row-error')).toBeNull()
    byTestId(root, 'rules-mode-raw')?.click()
    await settle()
    typeInto(byTestId(root, 'rules-raw-text'), `${ALIASES_TEXT}not an alias\n`)
    await advance(250)
    const marked = allByTestId(root, 'rules-raw-line').filter((l) => l.dataset.error === 'true')
    expect(marked.map((l) => l.dataset.line)).toEqual(['4'])
    expect(byTestId(root, 'rules-raw-error')?.textContent).toContain('Line 4')
    byTestId(root, 'rules-mode-form')?.click()
    await settle()
    const broken = allByTestId(root, 'rules-row')[2] as HTMLElement
    expect(broken.dataset.invalid).toBe('true')
    expect(byTestId(broken, 'rules-row-error')?.textContent).toContain('Line 4: missing ":"')
    expect(byTestId(broken, 'rules-row-targets')?.getAttribute('aria-invalid')).toBe('true')
  })

  it('saves and says where the previous version is kept; a refused save keeps the text', async () => {
    const { root, transport } = await view()
    typeInto(byTestId(allByTestId(root, 'rules-row')[1] as HTMLElement, 'rules-row-targets'), 'bob')
    await settle()
    byTestId(root, 'rules-save')?.click()
    await settle()
    expect(transport.callsTo('rules.save')).toEqual([{ kind: 'aliases', text: '# system\npostmaster: root\nwww: bob\n', expectedMtime: 1000 }])
    expect(byTestId(root, 'rules-saved')?.textContent).toContain('The previous version is kept in /home/me/.local/share/mailroom/etc/aliases.bak')
    expect(byTestId(root, 'rules-saved')?.textContent).toContain('2 aliases compiled')
    expect(byTestId<HTMLButtonElement>(root, 'rules-save')?.disabled).toBe(true)
  })

  it('on a conflict explains it and offers reload or overwrite', async () => {
    const transport = rulesTransport().handle('rules.save', () => fail('INVALID_STATE', '/x/aliases changed on disk since you opened it; reload it', { reason: 'conflict' }))
    const { root } = await view(transport)
    typeInto(byTestId(allByTestId(root, 'rules-row')[1] as HTMLElement, 'rules-row-targets'), 'bob')
    await settle()
    byTestId(root, 'rules-save')?.click()
    await settle()
    expect(byTestId(root, 'rules-conflict')?.textContent).toContain('changed on disk since you opened it')
    expect(byTestId<HTMLInputElement>(allByTestId(root, 'rules-row')[1] as HTMLElement, 'rules-row-targets')?.value).toBe('bob')
    byTestId(root, 'rules-reload')?.click()
    await settle()
    expect(byTestId(root, 'rules-conflict')).toBeNull()
    expect(byTestId<HTMLInputElement>(allByTestId(root, 'rules-row')[1] as HTMLElement, 'rules-row-targets')?.value).toBe('webmaster')
  })

  it('previews an address live and says when it uses unsaved changes', async () => {
    const { root, transport } = await view()
    typeInto(byTestId(root, 'preview-address'), 'www@localhost')
    await advance(300)
    expect(byTestId(root, 'preview-summary')?.textContent).toBe("mail for www@localhost goes to: root's mailbox — via aliases line 3 (www → webmaster)")
    expect(byTestId(root, 'preview-target')?.dataset.kind).toBe('mailbox')
    expect(byTestId(root, 'preview-draft')).toBeNull()
    typeInto(byTestId(allByTestId(root, 'rules-row')[1] as HTMLElement, 'rules-row-targets'), 'bob')
    await advance(300)
    expect(byTestId(root, 'preview-draft')?.textContent).toContain('unsaved changes')
    expect(transport.callsTo('rules.preview').at(-1)).toMatchObject({ draft: { kind: 'aliases' } })
  })

  it('edits another user\'s .forward on the Forwarding tab, and locks the user choice while there are unsaved changes', async () => {
    const { root, transport } = await view()
    byTestId(root, 'rules-tab-forward')?.click()
    await settle()
    expect(byTestId(root, 'rules-path')?.textContent).toBe('/home/me/.forward')
    expect(byTestId(root, 'rules-new-file')).not.toBeNull()
    const select = byTestId<HTMLSelectElement>(root, 'rules-user')
    expect(select?.value).toBe('me')
    if (select) select.value = 'bob'
    select?.dispatchEvent(new Event('change'))
    await settle()
    expect(transport.callsTo('rules.get').at(-1)).toEqual({ kind: 'forward', user: 'bob' })
    byTestId(root, 'rules-add-row')?.click()
    await settle()
    typeInto(byTestId(root, 'rules-row-targets'), '\\bob, /tmp/copy.mbox')
    await settle()
    expect(byTestId<HTMLSelectElement>(root, 'rules-user')?.disabled).toBe(true)
    expect(allByTestId(root, 'rules-target-chip').map((c) => c.dataset.kind)).toEqual(['mailbox', 'file'])
  })

  it('turns out-of-office on with the rule, and checks the form before calling', async () => {
    const state: VacationState = { user: 'me', rule: null, enabled: false, forwardPath: '/home/me/.forward' }
    const transport = rulesTransport()
      .reply('vacation.get', state)
      .reply('accounts.list', [{ id: 'work', email: 'me@work.test' }, { id: 'local', email: 'me@box', name: 'Local' }])
      .handle('vacation.save', (args: CallArgs<'vacation.save'>) => ok({ ...state, rule: { ...args.rule, from: null }, enabled: args.enable }))
      .reply('vacation.sieve', { script: 'require ["vacation"];\r\nvacation :days 7 text:\r\nAway\r\n.\r\n;\r\n' })
      .handle('vacation.upload', () => fail('SIEVE_AUTH', 'The ManageSieve server refused the login'))
    const { root } = await view(transport)
    byTestId(root, 'rules-tab-vacation')?.click()
    await settle()
    expect(transport.callsTo('vacation.get')).toEqual([{ user: 'me' }])
    expect(byTestId(root, 'vacation-state')?.dataset.enabled).toBe('false')
    typeInto(byTestId(root, 'vacation-days'), '0')
    await settle()
    byTestId(root, 'vacation-save-on')?.click()
    await settle()
    expect(byTestId(root, 'vacation-field-error')?.textContent).toContain('1 to 365')
    expect(transport.callsTo('vacation.save')).toEqual([])
    typeInto(byTestId(root, 'vacation-days'), '7')
    typeInto(byTestId(root, 'vacation-body'), 'Away until Monday.')
    await settle()
    byTestId(root, 'vacation-save-on')?.click()
    await settle()
    expect(transport.callsTo('vacation.save')).toEqual([{ user: 'me', enable: true, rule: { subject: 'Auto: %s', body: 'Away until Monday.', days: 7, addresses: [], startsAt: null, endsAt: null } }])
    expect(byTestId(root, 'vacation-state')?.dataset.enabled).toBe('true')
    expect(byTestId(root, 'vacation-saved')?.textContent).toContain('/home/me/.forward')
    byTestId(root, 'vacation-show-sieve')?.click()
    await settle()
    expect(byTestId(root, 'vacation-sieve')?.textContent).toContain('vacation :days 7')
    expect(allByTestId<HTMLOptionElement>(root, 'vacation-account').length).toBe(1)
    byTestId(root, 'vacation-upload')?.click()
    await settle()
    expect(byTestId(root, 'vacation-upload-error')?.textContent).toContain('refused the login')
  })
})
