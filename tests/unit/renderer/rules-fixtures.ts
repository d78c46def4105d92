// Fixtures of the rules editor's renderer tests: a fake backend for rules.* calls, with a server-like validator.
import type { RuleCheck, RulesFile, RulesPreview } from '@shared/contract'
import { fail, ok } from '@shared/result'
import { FakeTransport } from './helpers'

export const ALIASES_TEXT = '# system\npostmaster: root\nwww: webmaster\n'

export function rulesFile(overrides: Partial<RulesFile> = {}): RulesFile {
  return {
    kind: 'aliases', user: null, path: '/home/me/.local/share/mailroom/etc/aliases', exists: true, text: ALIASES_TEXT, mtimeMs: 1000,
    entries: [], errors: [], warnings: [], ...overrides
  }
}

/** A validator like the server's, enough for the tests: a non-comment line without ":" (aliases) is an error. */
export function fakeCheck(kind: string, text: string): RuleCheck {
  const errors = kind !== 'aliases' ? [] : text.split('\n').flatMap((line, i) => (line.trim() === '' || line.startsWith('#') || line.startsWith(' ') || line.includes(':') ? [] : [{ line: i + 1, message: `missing ":" after the alias name in "${line}"` }]))
  return { entries: [], errors, warnings: [] }
}

export function previewOf(address: string, draft: boolean): RulesPreview {
  return {
    recipient: address, deliverable: true, local: true, draft,
    summary: `mail for ${address} goes to: root's mailbox — via aliases line 3 (www → webmaster)`,
    targets: [{ kind: 'mailbox', value: 'root', sentence: "root's mailbox — via aliases line 3 (www → webmaster)", via: [] }],
    problems: [], warnings: []
  }
}

export function rulesTransport(): FakeTransport {
  let mtime = 1000
  return new FakeTransport()
    .reply('rules.users', [{ name: 'me', home: '/home/me', forwardPath: '/home/me/.forward', self: true }, { name: 'bob', home: '/home/bob', forwardPath: '/home/bob/.forward', self: false }])
    .handle('rules.get', (args) => ok(args.kind === 'aliases' ? rulesFile({ mtimeMs: mtime }) : rulesFile({ kind: 'forward', user: args.user ?? 'me', path: `/home/${args.user ?? 'me'}/.forward`, exists: false, text: '', mtimeMs: null })))
    .handle('rules.validate', (args) => ok(fakeCheck(args.kind, args.text)))
    .handle('rules.save', (args) => {
      const check = fakeCheck(args.kind, args.text)
      if (check.errors.length > 0) return fail('INVALID_ARGUMENT', 'Not saved: 1 line(s) need fixing first', { errors: check.errors })
      mtime += 1
      return ok({ file: rulesFile({ kind: args.kind, text: args.text, mtimeMs: mtime }), backup: '/home/me/.local/share/mailroom/etc/aliases.bak', compiled: { path: '/x/aliases.db.json', entries: 2, warnings: [] } })
    })
    .handle('rules.preview', (args) => ok(previewOf(args.address, args.draft !== undefined)))
}
