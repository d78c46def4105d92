// Expansion of local recipients: default aliases, recursion, loops, depth, \user, .forward safety, :include:, dedupe, stale database.
import { chmod, chown, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { compileAliases } from '../../../src/main/local/aliases-db'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { createExpander } from '../../../src/main/local/expand'
import type { Expansion } from '../../../src/main/local/expansion-types'
import { describeExpansion } from '../../../src/main/local/preview'
import type { SystemUser } from '../../../src/main/local/users'

const uid = process.getuid?.() ?? 0
let root: string
let etc: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mailroom-expand-'))
  await chmod(root, 0o755)
  etc = join(root, 'etc')
  await mkdir(etc)
  for (const user of ['alice', 'bob', 'carol']) await mkdir(join(root, user), { mode: 0o755 })
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

function expander(options: { system?: string; depth?: number } = {}): ReturnType<typeof createExpander> {
  const systemName = options.system ?? 'alice'
  const system: SystemUser = { name: systemName, home: join(root, systemName), uid }
  const config = parseConfig({
    hostname: 'mailroom.test',
    local: {
      users: ['bob', 'carol'].filter((n) => n !== systemName).map((name) => ({ name, home: join(root, name), uid })),
      ...(options.depth === undefined ? {} : { expansionDepth: options.depth })
    }
  })
  return createExpander({ config, paths: { etc }, localDomains: localDomainsFrom(['mailroom.test', 'localhost']), system })
}

async function aliases(text: string): Promise<void> {
  await writeFile(join(etc, 'aliases'), text)
  const result = await compileAliases(etc)
  expect(result.errors).toEqual([])
}

async function forward(user: string, text: string, mode = 0o644): Promise<string> {
  const path = join(root, user, '.forward')
  await writeFile(path, text)
  await chmod(path, mode)
  return path
}

const kinds = (e: Expansion): string[] => e.targets.map((t) => JSON.stringify(t.target))

describe('the default aliases', () => {
  it('are written and compiled on first use: www@localhost → www → webmaster → root → root\'s mailbox when root runs Mailroom', async () => {
    const expansion = await expander({ system: 'root' }).expand('www@localhost')
    expect(expansion.problems).toEqual([])
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'root' }])
    expect(expansion.targets[0]?.via.map((s) => [s.source, s.from, s.to])).toEqual([['aliases', 'www', 'webmaster'], ['aliases', 'webmaster', 'root']])
    expect(expansion.targets[0]?.via[0]?.line).toBeGreaterThan(1)
    expect(describeExpansion(expansion).summary).toMatch(/^mail for www@localhost goes to: root's mailbox — via aliases line \d+ \(www → webmaster\), line \d+ \(webmaster → root\)$/)
  })

  it('send root\'s mail (and so postmaster\'s) to the OS user when that is not root', async () => {
    const expansion = await expander({ system: 'alice' }).expand('MAILER-DAEMON')
    expect(expansion.recipient).toBe('mailer-daemon@mailroom.test')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'alice' }])
    expect(expansion.targets[0]?.via.map((s) => s.to)).toEqual(['postmaster', 'root', 'alice'])
  })
})

describe('aliases', () => {
  it('reach programs, files, remote addresses and :include: lists, run as the OS user, and keep identical targets once', async () => {
    const list = join(root, 'list')
    await writeFile(list, '# team\nbob, carol@localhost\nbob\n')
    await chmod(list, 0o644)
    await aliases(`team: alice, "|/bin/cat -n", /tmp/team.mbox, x@remote.test, :include:${list}, bob@mailroom.test\n`)
    const expansion = await expander().expand('team@mailroom.test')
    expect(expansion.problems).toEqual([])
    expect(kinds(expansion)).toEqual([
      JSON.stringify({ kind: 'mailbox', user: 'alice' }),
      JSON.stringify({ kind: 'program', command: '/bin/cat -n', user: 'alice' }),
      JSON.stringify({ kind: 'file', path: '/tmp/team.mbox', user: 'alice' }),
      JSON.stringify({ kind: 'remote', address: 'x@remote.test' }),
      JSON.stringify({ kind: 'mailbox', user: 'bob' }),
      JSON.stringify({ kind: 'mailbox', user: 'carol' })
    ])
    expect(expansion.targets[4]?.via.map((s) => [s.source, s.line])).toEqual([['aliases', 1], ['include', 2]])
  })

  it('a name not found is unknown (5.1.1), also when an alias points at it', async () => {
    await aliases('sales: nobody-here\n')
    const direct = await expander().expand('zed@localhost')
    expect(direct.problems).toMatchObject([{ kind: 'unknown-user', enhanced: '5.1.1', permanent: true, message: 'zed is neither a local user nor an alias' }])
    const viaAlias = await expander().expand('sales@localhost')
    expect(viaAlias.problems[0]?.message).toBe('aliases line 1: sales → nobody-here: nobody-here is neither a local user nor an alias')
  })

  it('an alias loop is a problem with 5.4.6 and the chain', async () => {
    await aliases('a: b\nb: c\nc: a\n')
    const expansion = await expander().expand('a@localhost')
    expect(expansion.targets).toEqual([])
    expect(expansion.problems).toMatchObject([{ kind: 'loop', enhanced: '5.4.6', permanent: true, message: 'a → b → c → a is an aliasing/forwarding loop (aliases line 3)' }])
  })

  it('an alias naming itself delivers to that user (sendmail\'s "jane: jane, bob")', async () => {
    await aliases('bob: bob, x@remote.test\n')
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.problems).toEqual([])
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }, { kind: 'remote', address: 'x@remote.test' }])
  })

  it('nesting deeper than local.expansionDepth is too-deep (5.4.6)', async () => {
    await aliases(Array.from({ length: 8 }, (_, i) => `a${i}: a${i + 1}`).join('\n') + '\na8: alice\n')
    expect((await expander({ depth: 20 }).expand('a0@localhost')).targets).toHaveLength(1)
    const deep = await expander({ depth: 5 }).expand('a0@localhost')
    expect(deep.targets).toEqual([])
    expect(deep.problems).toMatchObject([{ kind: 'too-deep', enhanced: '5.4.6' }])
    expect(deep.problems[0]?.message).toMatch(/nested more than 5 deep \(local.expansionDepth\)/)
  })

  it('a missing :include: file defers (4.3.0) and an unsafe one is not used', async () => {
    const list = join(root, 'list')
    await aliases(`l: :include:${list}\n`)
    expect((await expander().expand('l@localhost')).problems).toMatchObject([{ kind: 'unreadable', enhanced: '4.3.0', permanent: false }])
    await writeFile(list, 'bob\n')
    await chmod(list, 0o666)
    const unsafe = await expander().expand('l@localhost')
    expect(unsafe.targets).toEqual([])
    expect(unsafe.problems).toMatchObject([{ kind: 'unsafe-forward', permanent: false }])
    expect(unsafe.problems[0]?.message).toMatch(/is world-writable/)
  })

  it('warns that the database is out of date and keeps using the compiled one', async () => {
    await aliases('x: bob\n')
    await writeFile(join(etc, 'aliases'), 'x: carol\n')
    await utimes(join(etc, 'aliases'), new Date(), new Date(Date.now() + 5000))
    const expansion = await expander().expand('x@localhost')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }])
    expect(expansion.warnings.join('\n')).toMatch(/aliases database is out of date/)
    expect(describeExpansion(expansion).lines.join('\n')).toMatch(/warning: aliases database is out of date/)
  })

  it('without a compiled database reads etc/aliases as it is, ignoring bad entries, and says so', async () => {
    await writeFile(join(etc, 'aliases'), 'x: carol\nbroken line\n')
    const expansion = await expander().expand('x@localhost')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'carol' }])
    expect(expansion.warnings.join('\n')).toMatch(/aliases database is missing/)
    expect(expansion.warnings.join('\n')).toMatch(/aliases:2: missing ":"/)
  })
})

describe('.forward', () => {
  beforeEach(async () => {
    await aliases('postmaster: alice\n')
  })

  it('forwards, and \\user keeps a copy in the user\'s own mailbox with no further forwarding', async () => {
    const path = await forward('bob', '\\bob, x@remote.test\n"|/usr/bin/vacation bob"\n')
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.problems).toEqual([])
    expect(expansion.targets.map((t) => t.target)).toEqual([
      { kind: 'mailbox', user: 'bob' }, { kind: 'remote', address: 'x@remote.test' }, { kind: 'program', command: '/usr/bin/vacation bob', user: 'bob' }
    ])
    expect(expansion.targets[2]?.via).toEqual([{ source: 'forward', file: path, line: 2, from: 'bob', to: '"|/usr/bin/vacation bob"' }])
  })

  it('a user listing itself gets the mailbox; without a .forward the mailbox too', async () => {
    await forward('bob', 'bob@localhost, carol\n')
    expect((await expander().expand('bob@localhost')).targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }, { kind: 'mailbox', user: 'carol' }])
    expect((await expander().expand('carol@localhost')).targets).toEqual([{ target: { kind: 'mailbox', user: 'carol' }, via: [] }])
  })

  it('a .forward loop between two users is a loop (5.4.6)', async () => {
    await forward('bob', 'carol\n')
    await forward('carol', 'bob@localhost\n')
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.targets).toEqual([])
    expect(expansion.problems).toMatchObject([{ kind: 'loop', enhanced: '5.4.6', message: expect.stringMatching(/^bob → carol → bob@localhost is an aliasing\/forwarding loop/) as unknown as string }])
  })

  it('an unsafe .forward (world-writable) is ignored with a warning and mail goes to the mailbox', async () => {
    const path = await forward('bob', 'x@remote.test\n', 0o666)
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }])
    expect(expansion.warnings).toEqual([`${path} is ignored: it is world-writable (mode 0666); mail for bob goes to the mailbox`])
  })

  it.skipIf(uid !== 0)('a .forward owned by someone else is ignored', async () => {
    const path = await forward('bob', 'x@remote.test\n')
    await chown(path, 4242, 4242)
    const system: SystemUser = { name: 'alice', home: join(root, 'alice'), uid }
    const config = parseConfig({ hostname: 'mailroom.test', local: { users: [{ name: 'bob', home: join(root, 'bob'), uid: 1000 }] } })
    const expansion = await createExpander({ config, paths: { etc }, localDomains: localDomainsFrom(['localhost']), system }).expand('bob@localhost')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }])
    expect(expansion.warnings[0]).toMatch(/is owned by uid 4242, not by its user \(uid 1000\) or root/)
  })

  it('a bad line gives a copy to the mailbox with a warning; the good lines still count', async () => {
    await forward('bob', 'x@remote.test\nbad@@address\n')
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.targets.map((t) => t.target)).toEqual([{ kind: 'mailbox', user: 'bob' }, { kind: 'remote', address: 'x@remote.test' }])
    expect(expansion.warnings[0]).toMatch(/\.forward line 2: bad address "bad@@address".*a copy goes to bob's mailbox instead/)
  })

  it('a .forward that cannot be read defers (4.3.0)', async () => {
    await mkdir(join(root, 'bob', '.forward'))
    const expansion = await expander().expand('bob@localhost')
    expect(expansion.targets).toEqual([])
    expect(expansion.problems).toMatchObject([{ kind: 'unreadable', enhanced: '4.3.0', permanent: false }])
  })

  it('remote recipients are passed through untouched', async () => {
    expect((await expander().expand('Someone@Remote.Test')).targets).toEqual([{ target: { kind: 'remote', address: 'Someone@Remote.Test' }, via: [] }])
  })
})

describe('a diamond of aliases', () => {
  it('stops after MAX_EXPANSION_STEPS with one too-deep problem instead of taking 2^n steps', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `d${i}: d${i + 1}, d${i + 1}@localhost`)
    await aliases(lines.join('\n') + '\nd30: bob\n')
    const expansion = await expander({ depth: 100 }).expand('d0@localhost')
    expect(expansion.problems).toHaveLength(1)
    expect(expansion.problems[0]?.message).toMatch(/more than 10000 steps/)
  })
})
