// The rules editor's row model: text → rows → text loses nothing, edits rewrite only their own entry, targets split and classified.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatRow, parseRules, problemsOfRow, serializeRules, splitTargets, targetKind } from '../../../src/renderer/src/util/rulesText'

const sample = '# System aliases\n\npostmaster: root\nteam: alice,\n  bob@example.org\n# web\nwww: webmaster\n\n# end\n'

describe('rules text as rows', () => {
  it('splits aliases into rows with their comments, continuation lines joined', () => {
    const doc = parseRules('aliases', sample)
    expect(doc.rows.map((r) => [r.name, r.targets, r.leading])).toEqual([
      ['postmaster', 'root', ['# System aliases', '']],
      ['team', 'alice, bob@example.org', []],
      ['www', 'webmaster', ['# web']]
    ])
    expect(doc.trailing).toEqual(['', '# end'])
    expect(serializeRules(doc).lines.get(doc.rows[1]?.id ?? 0)).toEqual({ line: 4, endLine: 5 })
  })

  it('gives back the exact text for any input (comments, CRLF, no final newline, stray continuation lines)', () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom('a: b', '  c, d', '# note', '', 'x:y\r', '\\me, "|prog a, b"', ' lone', 'no colon', '\t'), { maxLength: 12 }),
      fc.boolean(),
      fc.constantFrom('aliases' as const, 'forward' as const),
      (lines, finalNewline, kind) => {
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '')
        expect(serializeRules(parseRules(kind, text)).text).toBe(text)
      }
    ))
  })

  it('rewrites only the edited row and keeps the rest byte for byte', () => {
    const doc = parseRules('aliases', sample)
    const rows = doc.rows.map((r) => (r.name === 'team' ? { ...r, targets: 'alice, carol', raw: null } : r))
    expect(serializeRules({ ...doc, rows }).text).toBe('# System aliases\n\npostmaster: root\nteam: alice, carol\n# web\nwww: webmaster\n\n# end\n')
  })

  it('formats new rows, writing nothing for an empty one', () => {
    expect(formatRow('aliases', { name: ' sales ', targets: 'bob' })).toEqual(['sales: bob'])
    expect(formatRow('aliases', { name: 'x', targets: '' })).toEqual(['x:'])
    expect(formatRow('aliases', { name: '', targets: '' })).toEqual([])
    expect(formatRow('forward', { name: null, targets: '' })).toEqual([])
    expect(formatRow('forward', { name: null, targets: '\\me, /tmp/copy' })).toEqual(['\\me, /tmp/copy'])
  })

  it('splits targets outside quotes and names their kind', () => {
    expect(splitTargets('\\me, "|prog a, b", /tmp/x.mbox, :include:/etc/list, bob@example.org, root,')).toEqual([
      '\\me', '"|prog a, b"', '/tmp/x.mbox', ':include:/etc/list', 'bob@example.org', 'root'
    ])
    expect(['\\me', '"|prog a, b"', '/tmp/x.mbox', ':include:/etc/list', 'bob@example.org', 'root'].map(targetKind)).toEqual([
      'mailbox', 'program', 'file', 'include', 'address', 'address'
    ])
  })

  it('finds the problems that fall on a row', () => {
    const problems = [{ line: 0, message: 'file' }, { line: 4, message: 'a' }, { line: 5, message: 'b' }, { line: 7, message: 'c' }]
    expect(problemsOfRow(problems, { line: 4, endLine: 5 }).map((p) => p.message)).toEqual(['a', 'b'])
    expect(problemsOfRow(problems, undefined)).toEqual([])
  })
})
