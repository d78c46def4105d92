// The rules section through the dispatcher: get/validate/save/preview of etc/aliases and .forward in a temp MAILROOM_HOME,
// backups, conflicts with changes on disk, refused input that loses nothing, and the out-of-office .forward line.
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRulesSection } from '../../../src/main/app/section-rules'
import type { SectionContext } from '../../../src/main/app/section'
import { parseConfig } from '../../../src/main/config/load'
import { pathsFor } from '../../../src/main/config/paths'
import { createDispatcher, type Handlers } from '../../../src/main/ipc/dispatch'
import { localDomainsFrom } from '../../../src/main/local/domains'
import type { Logger } from '../../../src/main/log/logger'
import type { CallResult } from '../../../src/shared/contract'

const uid = process.getuid?.() ?? 0
let root: string
let home: string
let dispatch: ReturnType<typeof createDispatcher>
const logged: string[] = []

const log = { debug: () => {}, info: (c: string, m: string) => logged.push(`${c}: ${m}`), warn: () => {}, error: () => {} } as unknown as Logger

function setup(extraConfig: Record<string, unknown> = {}): void {
  const config = parseConfig({
    hostname: 'mailroom.test',
    local: { users: [{ name: 'bob', home: join(root, 'bob'), uid }] },
    ...extraConfig
  })
  const paths = pathsFor(home)
  const context = { mode: 'browser', config, paths, log, localDomains: localDomainsFrom(['mailroom.test', 'localhost']) } as unknown as SectionContext
  const section = createRulesSection(context, { system: { name: 'alice', home: join(root, 'alice'), uid } })
  dispatch = createDispatcher(section.handlers as unknown as Handlers, log)
}

async function call<T = unknown>(name: string, args: unknown): Promise<T> {
  const result = await dispatch(name, args)
  if (!result.ok) throw new Error(`${name} failed: ${result.error.code} ${result.error.message}`)
  return result.value as T
}

async function refused(name: string, args: unknown): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const result = await dispatch(name, args)
  if (result.ok) throw new Error(`${name} succeeded but should have been refused`)
  return result.error
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mailroom-rules-'))
  await chmod(root, 0o755)
  home = join(root, 'home')
  await mkdir(join(home, 'etc'), { recursive: true })
  for (const user of ['alice', 'bob']) await mkdir(join(root, user), { mode: 0o755 })
  logged.length = 0
  setup()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

type File = CallResult<'rules.get'>

describe('rules.get', () => {
  it('opens the default aliases of a fresh home, parsed with line numbers', async () => {
    const file = await call<File>('rules.get', { kind: 'aliases' })
    expect(file.path).toBe(join(home, 'etc', 'aliases'))
    expect(file.exists).toBe(true)
    expect(file.errors).toEqual([])
    const www = file.entries.find((e) => e.name === 'www')
    expect(www?.targets).toEqual([{ kind: 'address', value: 'webmaster' }])
    expect(file.text.split('\n')[(www?.line ?? 0) - 1]).toBe('www: webmaster')
    expect(file.mtimeMs).toBe((await stat(file.path)).mtimeMs)
  })

  it('shows a missing .forward as an empty new file of the OS user, and of another local user by name', async () => {
    const mine = await call<File>('rules.get', { kind: 'forward' })
    expect(mine).toMatchObject({ user: 'alice', path: join(root, 'alice', '.forward'), exists: false, text: '', mtimeMs: null, entries: [] })
    expect((await call<File>('rules.get', { kind: 'forward', user: 'bob' })).path).toBe(join(root, 'bob', '.forward'))
    const unknown = await refused('rules.get', { kind: 'forward', user: 'mallory' })
    expect(unknown.code).toBe('NOT_FOUND')
    expect(unknown.message).toContain('local users: alice, bob')
  })

  it('warns about a .forward Mailroom would ignore, and about aliases edited after the last compile', async () => {
    const path = join(root, 'alice', '.forward')
    await writeFile(path, 'bob\n')
    await chmod(path, 0o666)
    const file = await call<File>('rules.get', { kind: 'forward' })
    expect(file.warnings.map((w) => w.message).join()).toMatch(/ignores this file: it is world-writable/)
    await call('rules.get', { kind: 'aliases' })
    const aliases = join(home, 'etc', 'aliases')
    await writeFile(aliases, 'root: alice\nextra: bob\n')
    await utimes(aliases, new Date(), new Date(Date.now() + 5000))
    const stale = await call<File>('rules.get', { kind: 'aliases' })
    expect(stale.warnings.map((w) => w.message).join()).toMatch(/out of date/)
  })
})

describe('rules.validate', () => {
  it('reports errors by line and the entries it understood', async () => {
    const check = await call<CallResult<'rules.validate'>>('rules.validate', { kind: 'aliases', text: '# team\nteam: alice,\n  bob@example.org\nbroken line\nweb: "|/bin/true x"\n' })
    expect(check.errors).toEqual([{ line: 4, message: expect.stringContaining('missing ":"') }])
    expect(check.entries).toEqual([
      { line: 2, endLine: 3, name: 'team', targets: [{ kind: 'address', value: 'alice' }, { kind: 'address', value: 'bob@example.org' }] },
      { line: 5, endLine: 5, name: 'web', targets: [{ kind: 'program', value: '/bin/true x' }] }
    ])
    const forward = await call<CallResult<'rules.validate'>>('rules.validate', { kind: 'forward', text: '\\alice, /tmp/copy.mbox\n|prog with args\n' })
    expect(forward.entries[0]?.targets).toEqual([{ kind: 'mailbox', value: 'alice' }, { kind: 'file', value: '/tmp/copy.mbox' }])
    expect(forward.errors).toEqual([{ line: 2, message: expect.stringContaining('must be quoted') }])
  })

  it('refuses arguments outside the contract with a clear message', async () => {
    expect((await refused('rules.validate', { kind: 'sieve', text: '' })).code).toBe('INVALID_ARGUMENT')
    expect((await refused('rules.validate', { kind: 'aliases', text: 'x'.repeat(300 * 1024) })).message).toMatch(/limited to 256 KiB/)
    expect((await refused('rules.validate', { kind: 'aliases', text: '', extra: 1 })).code).toBe('INVALID_ARGUMENT')
    expect((await refused('rules.get', { kind: 'forward', user: '../etc' })).message).toMatch(/local user name/)
  })
})

describe('rules.save', () => {
  it('saves aliases atomically, keeps the previous version as .bak and compiles them', async () => {
    const before = await call<File>('rules.get', { kind: 'aliases' })
    const text = `${before.text}team: alice, bob\n`
    const saved = await call<CallResult<'rules.save'>>('rules.save', { kind: 'aliases', text, expectedMtime: before.mtimeMs })
    expect(await readFile(before.path, 'utf8')).toBe(text)
    expect(saved.backup).toBe(`${before.path}.bak`)
    expect(await readFile(`${before.path}.bak`, 'utf8')).toBe(before.text)
    expect(saved.compiled).toMatchObject({ path: join(home, 'etc', 'aliases.db.json'), entries: before.entries.length + 1 })
    expect(saved.file.text).toBe(text)
    expect(saved.file.warnings).toEqual([])
    expect((await readdir(join(home, 'etc'))).filter((n) => n.includes('.tmp'))).toEqual([])
    const preview = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'team@mailroom.test' })
    expect(preview.targets.map((t) => `${t.kind}:${t.value}`).sort()).toEqual(['mailbox:alice', 'mailbox:bob'])
    expect(logged.join('\n')).toContain('saved by the rules editor')
  })

  it('refuses text with errors, naming the lines, and changes nothing on disk', async () => {
    const before = await call<File>('rules.get', { kind: 'aliases' })
    const error = await refused('rules.save', { kind: 'aliases', text: 'ok: alice\nnot an entry\n', expectedMtime: before.mtimeMs })
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toMatch(/line 2: missing ":"/)
    expect(error.details?.errors).toEqual([{ line: 2, message: expect.any(String) }])
    expect(await readFile(before.path, 'utf8')).toBe(before.text)
    expect(await readdir(join(home, 'etc'))).not.toContain('aliases.bak')
  })

  it('refuses to overwrite a file changed on disk since it was opened, keeping the other change', async () => {
    const before = await call<File>('rules.get', { kind: 'aliases' })
    await writeFile(before.path, 'root: bob\n')
    await utimes(before.path, new Date(), new Date(Date.now() + 3000))
    const error = await refused('rules.save', { kind: 'aliases', text: 'root: alice\n', expectedMtime: before.mtimeMs })
    expect(error.code).toBe('INVALID_STATE')
    expect(error.message).toContain('changed on disk since you opened it')
    expect(error.details?.reason).toBe('conflict')
    expect(await readFile(before.path, 'utf8')).toBe('root: bob\n')
    expect((await readdir(join(home, 'etc'))).filter((n) => n.includes('.tmp') || n.endsWith('.bak'))).toEqual([])
    // A file that appeared since the editor saw "no file" is a conflict too.
    await writeFile(join(root, 'alice', '.forward'), 'bob\n')
    const created = await refused('rules.save', { kind: 'forward', text: '\\alice\n', expectedMtime: null })
    expect(created.message).toContain('was created on disk since you opened it')
    expect(await readFile(join(root, 'alice', '.forward'), 'utf8')).toBe('bob\n')
  })

  it('creates a .forward (no backup the first time) that local delivery will obey', async () => {
    const copy = join(root, 'copy.mbox')
    const saved = await call<CallResult<'rules.save'>>('rules.save', { kind: 'forward', text: `\\alice, ${copy}\n`, expectedMtime: null })
    expect(saved.backup).toBeNull()
    expect(saved.compiled).toBeNull()
    expect(saved.file).toMatchObject({ exists: true, warnings: [], entries: [{ line: 1, name: null }] })
    expect((await stat(saved.file.path)).mode & 0o777).toBe(0o644)
    const preview = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'alice@localhost' })
    expect(preview.targets.map((t) => `${t.kind}:${t.value}`)).toEqual(['mailbox:alice', `file:${copy}`])
    expect(preview.targets[1]?.sentence).toContain("alice's .forward line 1")
  })

  it('says plainly when the folder cannot be written, and creates nothing', async () => {
    setup({ local: { users: [{ name: 'bob', home: join(root, 'bob'), forward: join(root, 'missing', '.forward'), uid }] } })
    const error = await refused('rules.save', { kind: 'forward', user: 'bob', text: 'alice\n', expectedMtime: null })
    expect(error.code).toBe('RULES_IO')
    expect(error.message).toContain('the folder does not exist')
  })
})

describe('rules.preview', () => {
  it('explains the way through the aliases, like sendmail -bv', async () => {
    await call('rules.get', { kind: 'aliases' })
    const preview = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'www@localhost' })
    expect(preview).toMatchObject({ recipient: 'www@localhost', deliverable: true, local: true, draft: false })
    expect(preview.summary).toMatch(/^mail for www@localhost goes to: alice's mailbox — via aliases line \d+ \(www → webmaster\)/)
    expect(preview.targets[0]?.via.map((s) => `${s.from}→${s.to}`)).toEqual(['www→webmaster', 'webmaster→root', 'root→alice'])
  })

  it('previews unsaved text: aliases and .forward drafts, naming the real files', async () => {
    await call('rules.get', { kind: 'aliases' })
    const aliases = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'team', draft: { kind: 'aliases', text: 'team: bob\n' } })
    expect(aliases).toMatchObject({ draft: true, deliverable: true, targets: [{ kind: 'mailbox', value: 'bob', via: [{ source: 'aliases', file: join(home, 'etc', 'aliases'), line: 1 }] }] })
    const saved = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'team' })
    expect(saved.deliverable).toBe(false)
    expect(saved.problems[0]?.kind).toBe('unknown-user')
    const forward = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'bob@mailroom.test', draft: { kind: 'forward', user: 'bob', text: 'alice\n' } })
    expect(forward.targets).toMatchObject([{ kind: 'mailbox', value: 'alice', via: [{ source: 'forward', file: join(root, 'bob', '.forward'), line: 1 }] }])
    expect(JSON.stringify(forward)).not.toContain('mailroom-preview-')
    const broken = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'team', draft: { kind: 'aliases', text: 'team: bob\noops\n' } })
    expect(broken.warnings.join()).toMatch(/1 line\(s\) with errors/)
  })

  it('refuses a malformed address and says where a remote one goes', async () => {
    const error = await refused('rules.preview', { address: 'a b@@x' })
    expect(error.code).toBe('INVALID_ADDRESS')
    expect((await refused('rules.preview', { address: '  ' })).message).toContain('type an address')
    const remote = await call<CallResult<'rules.preview'>>('rules.preview', { address: 'someone@example.org', draft: { kind: 'aliases', text: '' } })
    expect(remote).toMatchObject({ local: false, draft: false, targets: [{ kind: 'remote', value: 'someone@example.org' }] })
  })
})

describe('rules.users', () => {
  it('lists the OS user first, then the configured users', async () => {
    expect(await call('rules.users', {})).toEqual([
      { name: 'alice', home: join(root, 'alice'), forwardPath: join(root, 'alice', '.forward'), self: true },
      { name: 'bob', home: join(root, 'bob'), forwardPath: join(root, 'bob', '.forward'), self: false }
    ])
  })
})

describe('out of office', () => {
  const rule = { subject: 'Away', body: 'Back on Monday.', days: 3, addresses: [], startsAt: null, endsAt: null }

  it('switches the reply on and off through the .forward line, keeping the rest of the file', async () => {
    const path = join(root, 'alice', '.forward')
    await writeFile(path, '# mine\nbob@example.org\n')
    const on = await call<CallResult<'vacation.save'>>('vacation.save', { user: 'alice', rule, enable: true })
    expect(on).toMatchObject({ user: 'alice', enabled: true, forwardPath: path, rule: { subject: 'Away', days: 3 } })
    expect(await readFile(path, 'utf8')).toBe('# mine\nbob@example.org\n\\alice, "|mailroom vacation alice"\n')
    expect(await readFile(`${path}.bak`, 'utf8')).toBe('# mine\nbob@example.org\n')
    expect((await call<CallResult<'vacation.get'>>('vacation.get', { user: 'alice' })).enabled).toBe(true)
    const off = await call<CallResult<'vacation.save'>>('vacation.save', { user: 'alice', rule, enable: false })
    expect(off.enabled).toBe(false)
    expect(off.rule?.body).toBe('Back on Monday.')
    expect(await readFile(path, 'utf8')).toBe('# mine\nbob@example.org\n')
  })

  it('exports the rule as Sieve, and refuses what it cannot do with a clear error', async () => {
    expect((await refused('vacation.sieve', { user: 'alice' })).code).toBe('NOT_FOUND')
    await call('vacation.save', { user: 'alice', rule, enable: false })
    expect((await call<{ script: string }>('vacation.sieve', { user: 'alice' })).script).toContain('vacation')
    expect((await refused('vacation.upload', { user: 'alice', accountId: 'nope' })).code).toBe('ACCOUNT_NOT_FOUND')
    const bad = await refused('vacation.save', { user: 'alice', rule: { ...rule, days: 0 }, enable: true })
    expect(bad.code).toBe('INVALID_ARGUMENT')
    expect((await refused('vacation.save', { user: 'alice', rule: { ...rule, startsAt: 10, endsAt: 5 }, enable: true })).message).toContain('the end must come after the start')
    expect(await readdir(join(root, 'alice'))).toEqual([])
  })
})
