// The etc/aliases parser: entries, continuation lines, comments, quoting, every bad-line path with its line and reason; never throws.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { aliasSizes, parseAliases } from '../../../src/main/local/aliases'
import { defaultAliasesText } from '../../../src/main/local/aliases-db'

describe('parseAliases: good entries', () => {
  it('reads names, targets of every kind, comments and continuation lines', () => {
    const text = [
      '# a comment',
      '',
      'MAILER-DAEMON: postmaster',
      'Staff: alice, bob@Example.ORG,',
      '   \\carol, "|/usr/bin/vacation -a x",',
      '\t"/var/mail/with space", /tmp/log,',
      '  # a comment inside an entry',
      '  :include:/etc/mail/list, "john doe"@example.org',
      '"quoted name": alice'
    ].join('\n')
    const parsed = parseAliases(text)
    expect(parsed.errors).toEqual([])
    expect(parsed.entries.map((e) => [e.name, e.line, e.endLine])).toEqual([['mailer-daemon', 3, 3], ['staff', 4, 8], ['quoted name', 9, 9]])
    expect(parsed.entries[1]?.targets).toEqual([
      { kind: 'address', value: 'alice', line: 4 },
      { kind: 'address', value: 'bob@example.org', line: 4 },
      { kind: 'self', value: 'carol', line: 5 },
      { kind: 'program', value: '/usr/bin/vacation -a x', line: 5 },
      { kind: 'file', value: '/var/mail/with space', line: 6 },
      { kind: 'file', value: '/tmp/log', line: 6 },
      { kind: 'include', value: '/etc/mail/list', line: 8 },
      { kind: 'address', value: '"john doe"@example.org', line: 8 }
    ])
  })

  it('accepts unquoted programs without arguments, <address>, and CRLF line ends', () => {
    const parsed = parseAliases('a: |/bin/true, <bob@x.test>\r\nb: a\r\n')
    expect(parsed.errors).toEqual([])
    expect(parsed.entries[0]?.targets.map((t) => [t.kind, t.value])).toEqual([['program', '/bin/true'], ['address', 'bob@x.test']])
  })

  it('warns about a duplicate name and keeps the later entry, saying which line wins', () => {
    const parsed = parseAliases('www: alice\nother: bob\nWWW: carol\n')
    expect(parsed.errors).toEqual([])
    expect(parsed.warnings).toEqual([{ file: 'aliases', line: 3, message: 'duplicate alias name "www": this entry replaces the one on line 1' }])
    expect(parsed.entries.map((e) => [e.name, e.targets[0]?.value])).toEqual([['other', 'bob'], ['www', 'carol']])
  })

  it('computes sendmail-style sizes from the right-hand side as one line', () => {
    const [entry] = parseAliases('ab: c,\n  d\n').entries
    expect(aliasSizes(entry as NonNullable<typeof entry>)).toEqual({ name: 2, rhs: 5 })
  })

  it('parses the default file without errors, with root → the OS user unless that is root', () => {
    const forAlice = parseAliases(defaultAliasesText('alice'))
    expect(forAlice.errors).toEqual([])
    expect(forAlice.entries.find((e) => e.name === 'root')?.targets[0]?.value).toBe('alice')
    expect(forAlice.entries.find((e) => e.name === 'www')?.targets[0]?.value).toBe('webmaster')
    expect(parseAliases(defaultAliasesText('root')).entries.some((e) => e.name === 'root')).toBe(false)
    expect(parseAliases(defaultAliasesText('daemon')).entries.some((e) => e.name === 'daemon')).toBe(false)
  })
})

describe('parseAliases: bad lines', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['missing colon', 'ok: a\nwebmaster root\n', 2, /missing ":" after the alias name/],
    ['empty name', ': root\n', 1, /alias name before ":" is empty/],
    ['name with spaces', 'web master: root\n', 1, /contains spaces \(quote it/],
    ['name with @', 'www@example.org: root\n', 1, /contains @/],
    ['bad characters in the name', 'a(b: root\n', 1, /bad alias name "a\(b"/],
    ['no target', 'www:\n', 1, /has no target after ":"/],
    ['only commas', 'www: , ,\n', 1, /has no target/],
    ['bad address', 'www: bob@@x.test\n', 1, /bad address "bob@@x.test"/],
    ['bad domain', 'www: bob@-x.test\n', 1, /bad address/],
    ['two words without a comma', 'www: alice bob\n', 1, /is not one address \(separate addresses with commas/],
    ['unterminated quote', 'www: "|/bin/prog arg\n', 1, /unterminated quote/],
    ['unterminated quote on a continuation line', 'www: a,\n  "/tmp/x\n', 2, /unterminated quote/],
    ['unquoted program with arguments', 'www: |/bin/prog arg\n', 1, /program with arguments must be quoted/],
    ['empty program', 'www: "|"\n', 1, /program is missing/],
    ['unquoted path with spaces', 'www: /tmp/a b\n', 1, /is not one address|path with spaces must be quoted/],
    ['relative include', 'www: :include:list.txt\n', 1, /must be an absolute path/],
    ['directory as file', 'www: /tmp/\n', 1, /must name a file, not a directory/],
    ['backslash without user', 'www: \\\n', 1, /must be followed by a local user name/],
    ['continuation with nothing before', '  root\nwww: a\n', 1, /continuation line .* with no entry before it/]
  ]
  it.each(cases)('%s: reported on its line with its reason', (_label, text, line, reason) => {
    const parsed = parseAliases(text)
    expect(parsed.errors.length).toBeGreaterThan(0)
    expect(parsed.errors[0]?.line).toBe(line)
    expect(parsed.errors[0]?.message).toMatch(reason)
    expect(parsed.errors[0]?.file).toBe('aliases')
  })

  it('keeps the good entries around a bad one', () => {
    const parsed = parseAliases('a: alice\nbroken\nb: bob\n')
    expect(parsed.entries.map((e) => e.name)).toEqual(['a', 'b'])
    expect(parsed.errors.map((e) => e.line)).toEqual([2])
  })
})

describe('parseAliases: robustness (property)', () => {
  const alphabet = fc.constantFrom('a', 'b', ':', ',', '"', '\\', '|', '/', '@', ' ', '\t', '\n', '#', 'x', '.', '<', '>', 'é', '\r')
  it('never throws, every error has a line within the text, and every entry has targets', () => {
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 120 }).map((chars) => chars.join('')), (text) => {
      const parsed = parseAliases(text)
      const lines = text.split(/\r?\n/).length
      for (const error of [...parsed.errors, ...parsed.warnings]) {
        expect(error.line).toBeGreaterThanOrEqual(1)
        expect(error.line).toBeLessThanOrEqual(lines)
        expect(error.message.length).toBeGreaterThan(0)
      }
      for (const entry of parsed.entries) {
        expect(entry.targets.length).toBeGreaterThan(0)
        expect(entry.name).toBe(entry.name.toLowerCase())
      }
    }), { numRuns: 2000 })
  }, 30_000)

  it('never throws on arbitrary unicode either', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      const parsed = parseAliases(text)
      for (const error of parsed.errors) expect(error.line).toBeGreaterThanOrEqual(1)
    }), { numRuns: 300 })
  }, 30_000)

  it('stays fast on a large file (no quadratic step): 20,000 entries and one entry with 20,000 targets', () => {
    const started = performance.now()
    const parsed = parseAliases(Array.from({ length: 20_000 }, (_, i) => `n${i}: c${i}`).join('\n') + '\nwide: ' + 'x,'.repeat(20_000) + '\n')
    expect(parsed.entries).toHaveLength(20_001)
    expect(performance.now() - started).toBeLessThan(3000)
  })
})
