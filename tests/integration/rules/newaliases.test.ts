// `mailroom newaliases` / `sendmail -bi` / `-I` through the built CLI: the default file, sendmail's summary, bad lines (exit 65) keeping the old database.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireBuild } from '../../support/mailroom'
import { makeRulesHome, runRulesCli, type RulesHome } from './rules-cli'

let rules: RulesHome
const aliasesPath = (): string => join(rules.home, 'etc', 'aliases')
const dbPath = (): string => join(rules.home, 'etc', 'aliases.db.json')

beforeAll(() => requireBuild())
beforeEach(async () => {
  rules = await makeRulesHome()
})
afterEach(async () => {
  await rules.remove()
})

describe('mailroom newaliases', () => {
  it('writes the default aliases on a fresh home, compiles them, and they route www@localhost to root', async () => {
    const result = await runRulesCli(rules, ['newaliases'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain(`${aliasesPath()} did not exist: wrote the default aliases`)
    expect(result.stderr).toMatch(new RegExp(`^${aliasesPath().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ aliases, longest \\d+ bytes, \\d+ bytes total$`, 'm'))
    expect(JSON.parse(await readFile(dbPath(), 'utf8'))).toMatchObject({ version: 1 })
    const verified = await runRulesCli(rules, ['sendmail', '-bv', 'www@localhost'])
    expect(verified).toEqual({ code: 0, stderr: '', stdout: 'www@localhost... deliverable: mailer local, user root (via aliases: www → webmaster → root)\n' })
  })

  it('-bi and -I do the same and print the same summary', async () => {
    await runRulesCli(rules, ['newaliases'])
    await writeFile(aliasesPath(), 'ab: cd, ef\nx: y\n')
    for (const args of [['newaliases'], ['sendmail', '-bi'], ['sendmail', '-I']]) {
      const result = await runRulesCli(rules, args)
      expect(result).toEqual({ code: 0, stdout: '', stderr: `${aliasesPath()}: 2 aliases, longest 6 bytes, 10 bytes total\n` })
    }
  })

  it('a bad line exits 65 with aliases:LINE: reason and leaves the database in effect unchanged', async () => {
    await runRulesCli(rules, ['newaliases'])
    await writeFile(aliasesPath(), 'good: bob\n')
    expect((await runRulesCli(rules, ['newaliases'])).code).toBe(0)
    const before = await readFile(dbPath(), 'utf8')
    await writeFile(aliasesPath(), 'good: carol\nbad line\n\nx: bob@@y\nz: "|/bin/prog arg\n')
    const result = await runRulesCli(rules, ['newaliases'])
    expect(result.code).toBe(65)
    expect(result.stderr.split('\n')).toEqual([
      'aliases:2: missing ":" after the alias name in "bad line"',
      'aliases:4: bad address "bob@@y": the part before @ ("bob@") has characters that need quoting, or misplaced dots',
      'aliases:5: unterminated quote: "|/bin/prog arg (a quoted string must end with " on the same line)',
      `mailroom newaliases: ${aliasesPath()}: 3 bad lines; ${dbPath()} was not changed (the aliases compiled before stay in effect)`,
      ''
    ])
    expect(await readFile(dbPath(), 'utf8')).toBe(before)
    const verified = await runRulesCli(rules, ['sendmail', '-bv', 'good@localhost'])
    expect(verified.stdout).toBe('good@localhost... deliverable: mailer local, user bob (via aliases: good → bob)\n')
    expect(verified.stderr).toMatch(/^mailroom sendmail: warning: aliases database is out of date: .* run mailroom newaliases/)
  })

  it('a duplicate name is a warning (the later entry wins), not an error', async () => {
    await runRulesCli(rules, ['newaliases'])
    await writeFile(aliasesPath(), 'x: bob\ny: bob\nX: carol\n')
    const result = await runRulesCli(rules, ['newaliases'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('aliases:3: warning: duplicate alias name "x": this entry replaces the one on line 1\n')
    expect((await runRulesCli(rules, ['sendmail', '-bv', 'x'])).stdout).toBe('x@mailroom.test... deliverable: mailer local, user carol (via aliases: x → carol)\n')
  })
})
