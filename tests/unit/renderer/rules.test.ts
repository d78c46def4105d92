// The rules store: opening files, form edits patching the text, debounced validation, saving (backup, conflict, refusal), live preview with drafts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CallArgs } from '@shared/contract'
import { fail, ok } from '@shared/result'
import { useRulesStore } from '../../../src/renderer/src/stores/rules'
import { advance, createHarness, settle } from './helpers'
import { ALIASES_TEXT, rulesFile, rulesTransport } from './rules-fixtures'

describe('rules store', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  async function opened(transport = rulesTransport()) {
    const { pinia } = createHarness(transport)
    const rules = useRulesStore(pinia)
    await rules.open()
    await settle()
    return { rules, transport }
  }

  it('opens the users, then the aliases file, clean', async () => {
    const { rules, transport } = await opened()
    expect(transport.calls.map((c) => c.name)).toEqual(['rules.users', 'rules.get'])
    expect(rules.editors.aliases.text).toBe(ALIASES_TEXT)
    expect(rules.editors.aliases.doc.rows.map((r) => r.name)).toEqual(['postmaster', 'www'])
    expect(rules.editors.aliases.dirty).toBe(false)
  })

  it('turns form edits into text and validates once, 250 ms after the last edit', async () => {
    const { rules, transport } = await opened()
    const editor = rules.editors.aliases
    const www = editor.doc.rows[1]?.id ?? 0
    editor.updateRow(www, { targets: 'webmaster, alice' })
    await advance(100)
    editor.updateRow(www, { targets: 'webmaster, bob' })
    expect(editor.text).toBe('# system\npostmaster: root\nwww: webmaster, bob\n')
    expect(editor.dirty).toBe(true)
    await advance(249)
    expect(transport.callsTo('rules.validate')).toEqual([])
    await advance(1)
    expect(transport.callsTo('rules.validate')).toEqual([{ kind: 'aliases', text: '# system\npostmaster: root\nwww: webmaster, bob\n' }])
  })

  it('shows errors on the row they belong to, and new rows get their own line', async () => {
    const { rules } = await opened()
    const editor = rules.editors.aliases
    const row = editor.addRow()
    editor.updateRow(row.id, { name: 'broken' })
    await advance(250)
    expect(editor.text).toBe(`${ALIASES_TEXT}broken:\n`)
    editor.setMode('raw')
    editor.setText(`${ALIASES_TEXT}broken\n`)
    await advance(250)
    expect(editor.errors).toEqual([{ line: 4, message: expect.stringContaining('missing ":"') }])
    editor.setMode('form')
    const broken = editor.doc.rows[2]?.id ?? 0
    expect(editor.rowProblems(broken)).toHaveLength(1)
    expect(editor.rowProblems(editor.doc.rows[0]?.id ?? 0)).toEqual([])
  })

  it('removes a row but keeps the comments above it', async () => {
    const { rules } = await opened()
    const editor = rules.editors.aliases
    editor.removeRow(editor.doc.rows[0]?.id ?? 0)
    expect(editor.text).toBe('# system\nwww: webmaster\n')
  })

  it('saves with the mtime it read, then reports the backup and the compile', async () => {
    const { rules, transport } = await opened()
    const editor = rules.editors.aliases
    editor.setText(`${ALIASES_TEXT}team: me\n`)
    expect(await editor.save()).toBe(true)
    expect(transport.callsTo('rules.save')).toEqual([{ kind: 'aliases', text: `${ALIASES_TEXT}team: me\n`, expectedMtime: 1000 }])
    expect(editor.saved?.backup).toMatch(/aliases\.bak$/)
    expect(editor.dirty).toBe(false)
    expect(editor.file?.mtimeMs).toBe(1001)
  })

  it('keeps the text and shows the errors when the server refuses it', async () => {
    const { rules } = await opened()
    const editor = rules.editors.aliases
    editor.setText(`${ALIASES_TEXT}oops\n`)
    expect(await editor.save()).toBe(false)
    expect(editor.text).toBe(`${ALIASES_TEXT}oops\n`)
    expect(editor.errors).toEqual([{ line: 4, message: expect.any(String) }])
    expect(editor.saveError?.code).toBe('INVALID_ARGUMENT')
    expect(editor.conflict).toBe(false)
    editor.setText(`${ALIASES_TEXT}fixed: me\n`)
    expect(editor.saveError).toBeNull()
  })

  it('on a conflict offers to reload or to overwrite with a fresh mtime', async () => {
    const transport = rulesTransport()
    let refuse = true
    const save = vi.fn((args: CallArgs<'rules.save'>) => refuse
      ? fail('INVALID_STATE', '/x/aliases changed on disk since you opened it', { reason: 'conflict' })
      : ok({ file: rulesFile({ text: args.text, mtimeMs: 5000 }), backup: '/x/aliases.bak', compiled: null }))
    transport.handle('rules.save', save)
    const { rules } = await opened(transport)
    const editor = rules.editors.aliases
    editor.setText('mine: me\n')
    expect(await editor.save()).toBe(false)
    expect(editor.conflict).toBe(true)
    expect(editor.text).toBe('mine: me\n')
    editor.setText('mine: me, you\n')
    expect(editor.conflict).toBe(true)
    refuse = false
    expect(await editor.save(true)).toBe(true)
    expect(save.mock.calls.map(([a]) => a.expectedMtime)).toEqual([1000, 1000])
    expect(transport.callsTo('rules.get')).toHaveLength(2)
    expect(editor.conflict).toBe(false)
  })

  it('previews 300 ms after typing, with the unsaved text as a draft', async () => {
    const { rules, transport } = await opened()
    rules.previewAddress = 'www@localhost'
    await advance(299)
    expect(transport.callsTo('rules.preview')).toEqual([])
    await advance(1)
    expect(transport.callsTo('rules.preview')).toEqual([{ address: 'www@localhost' }])
    expect(rules.preview?.summary).toContain("goes to: root's mailbox")
    rules.editors.aliases.setText('www: bob\n')
    await advance(300)
    expect(transport.callsTo('rules.preview')[1]).toEqual({ address: 'www@localhost', draft: { kind: 'aliases', text: 'www: bob\n' } })
    expect(rules.preview?.draft).toBe(true)
  })

  it('opens the .forward of the OS user, and of another user on request', async () => {
    const { rules, transport } = await opened()
    await rules.openTab('forward')
    expect(transport.callsTo('rules.get')[1]).toEqual({ kind: 'forward', user: 'me' })
    expect(rules.editors.forward.file?.exists).toBe(false)
    await rules.selectForwardUser('bob')
    expect(rules.editors.forward.file?.path).toBe('/home/bob/.forward')
  })

  it('shows a refused preview as its message', async () => {
    const transport = rulesTransport().handle('rules.preview', () => fail('INVALID_ADDRESS', '"a b" is not a valid address'))
    const { rules } = await opened(transport)
    rules.previewAddress = 'a b'
    await advance(300)
    expect(rules.preview).toBeNull()
    expect(rules.previewError?.message).toContain('not a valid address')
  })
})
