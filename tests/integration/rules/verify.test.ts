// `sendmail -bv` as the expansion preview through the built CLI: aliases, loops, \user, unsafe .forward, programs and files, -v in words.
import { chmod, chown, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requireBuild } from '../../support/mailroom'
import { makeRulesHome, runRulesCli, type RulesHome } from './rules-cli'

let rules: RulesHome

beforeAll(() => requireBuild())
beforeEach(async () => {
  rules = await makeRulesHome()
  expect((await runRulesCli(rules, ['newaliases'])).code).toBe(0)
})
afterEach(async () => {
  await rules.remove()
})

async function setAliases(text: string): Promise<void> {
  await writeFile(join(rules.home, 'etc', 'aliases'), text)
  const result = await runRulesCli(rules, ['newaliases'])
  expect(result.code, result.stderr).toBe(0)
}

async function setForward(user: string, text: string, mode = 0o644): Promise<string> {
  const path = join(rules.userHome(user), '.forward')
  await writeFile(path, text)
  await chmod(path, mode)
  return path
}

describe('sendmail -bv after aliases and .forward', () => {
  it('lists every final target: mailbox, program, file and remote, with the way there', async () => {
    await setAliases('team: bob, "|/bin/cat -n", /tmp/team.mbox, x@remote.test\n')
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'team@localhost'])
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'team@localhost... deliverable: mailer local, user bob (via aliases: team → bob)',
        'team@localhost... deliverable: mailer prog, command /bin/cat -n, user root (via aliases: team → "|/bin/cat -n")',
        'team@localhost... deliverable: mailer file, path /tmp/team.mbox, user root (via aliases: team → /tmp/team.mbox)',
        'team@localhost... deliverable: mailer esmtp, host remote.test, user x@remote.test (via aliases: team → x@remote.test)',
        ''
      ].join('\n')
    })
  })

  it('an unknown local name is User unknown, exit 67', async () => {
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'nosuch@localhost', 'bob'])
    expect(result.code).toBe(67)
    expect(result.stdout).toBe('nosuch@localhost... User unknown (nosuch is neither a local user nor an alias)\nbob@mailroom.test... deliverable: mailer local, user bob\n')
  })

  it('an alias loop is undeliverable with 5.4.6, exit 67', async () => {
    await setAliases('a: b\nb: a\n')
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'a@localhost'])
    expect(result.code).toBe(67)
    expect(result.stdout).toBe('a@localhost... undeliverable: 5.4.6 a → b → a is an aliasing/forwarding loop (aliases line 2)\n')
  })

  it('a .forward loop between users is undeliverable with 5.4.6', async () => {
    await setForward('bob', 'carol\n')
    await setForward('carol', 'bob\n')
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'bob@localhost'])
    expect(result.code).toBe(67)
    expect(result.stdout).toMatch(/^bob@localhost\.\.\. undeliverable: 5\.4\.6 bob → carol → bob is an aliasing\/forwarding loop \(.*carol\/\.forward line 1\)\n$/)
  })

  it('\\user keeps a copy in the user\'s own mailbox and stops forwarding there', async () => {
    await setForward('bob', '\\bob, carol\n')
    await setForward('carol', 'x@remote.test\n')
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'bob@localhost'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe([
      'bob@localhost... deliverable: mailer local, user bob (via .forward: bob → \\bob)',
      'bob@localhost... deliverable: mailer esmtp, host remote.test, user x@remote.test (via .forward: bob → carol → x@remote.test)',
      ''
    ].join('\n'))
  })

  it('a world-writable .forward is ignored with a warning; mail goes to the mailbox', async () => {
    const path = await setForward('bob', 'x@remote.test\n', 0o666)
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'bob@localhost'])
    expect(result).toEqual({
      code: 0,
      stdout: 'bob@localhost... deliverable: mailer local, user bob\n',
      stderr: `mailroom sendmail: warning: ${path} is ignored: it is world-writable (mode 0666); mail for bob goes to the mailbox\n`
    })
  })

  it.skipIf(process.getuid?.() !== 0)('a .forward owned by another user is ignored', async () => {
    const path = await setForward('bob', 'x@remote.test\n')
    await chown(path, 4242, 4242)
    const result = await runRulesCli(rules, ['sendmail', '-bv', 'bob@localhost'])
    expect(result.stdout).toBe('bob@localhost... deliverable: mailer local, user bob\n')
    expect(result.stderr).toContain(`${path} is ignored: it is owned by uid 4242, not by its user (uid 0) or root`)
  })

  it('-v adds the preview in words', async () => {
    const result = await runRulesCli(rules, ['sendmail', '-bv', '-v', 'www@localhost'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^www@localhost\.\.\. deliverable: mailer local, user root \(via aliases: www → webmaster → root\)\nmail for www@localhost goes to: root's mailbox — via aliases line \d+ \(www → webmaster\), line \d+ \(webmaster → root\)\n$/)
  })
})
