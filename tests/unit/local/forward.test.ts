// ~/.forward: parsing (commas or lines, comments, \user, programs, files, :include:) and the safety check (owner, modes, directory).
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkForwardSafety, parseForward } from '../../../src/main/local/forward'

describe('parseForward', () => {
  it('takes targets separated by commas or lines, skipping comments and blank lines', () => {
    const parsed = parseForward('# my forward\n\\alice, bob@example.org\n\n"|/usr/bin/vacation alice"\n/home/alice/mbox\n:include:/etc/list\n', '/h/.forward')
    expect(parsed.errors).toEqual([])
    expect(parsed.targets).toEqual([
      { kind: 'self', value: 'alice', line: 2 },
      { kind: 'address', value: 'bob@example.org', line: 2 },
      { kind: 'program', value: '/usr/bin/vacation alice', line: 4 },
      { kind: 'file', value: '/home/alice/mbox', line: 5 },
      { kind: 'include', value: '/etc/list', line: 6 }
    ])
  })

  it('reports a bad line with the file, the line and the reason, and keeps the good ones', () => {
    const parsed = parseForward('bob@example.org\n"|/bin/prog\nbob@@x\n', '/h/.forward')
    expect(parsed.targets.map((t) => t.value)).toEqual(['bob@example.org'])
    expect(parsed.errors).toEqual([
      { file: '/h/.forward', line: 2, message: expect.stringMatching(/unterminated quote/) as unknown as string },
      { file: '/h/.forward', line: 3, message: expect.stringMatching(/bad address "bob@@x"/) as unknown as string }
    ])
  })

  it('does not let a quote run into the next line', () => {
    const parsed = parseForward('"/tmp/a\nbob\n', 'f')
    expect(parsed.errors.map((e) => e.line)).toEqual([1])
    expect(parsed.targets).toEqual([{ kind: 'address', value: 'bob', line: 2 }])
  })
})

describe('checkForwardSafety', () => {
  let dir: string
  let file: string
  const uid = process.getuid?.() ?? 0
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-forward-'))
    await chmod(dir, 0o755)
    file = join(dir, '.forward')
    await writeFile(file, 'bob\n', { mode: 0o644 })
    await chmod(file, 0o644)
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts a file of its user, mode 0644, in a 0755 directory', async () => {
    expect(await checkForwardSafety(file, uid)).toEqual({ safe: true, reason: null, ownerUid: uid })
  })

  it('refuses a world-writable or group-writable file', async () => {
    await chmod(file, 0o666)
    expect(await checkForwardSafety(file, uid)).toMatchObject({ safe: false, reason: 'is world-writable (mode 0666)' })
    await chmod(file, 0o664)
    expect(await checkForwardSafety(file, uid)).toMatchObject({ safe: false, reason: 'is group-writable (mode 0664)' })
  })

  it('refuses a file in a world-writable directory without the sticky bit, and accepts it with the sticky bit', async () => {
    await chmod(dir, 0o777)
    expect((await checkForwardSafety(file, uid)).reason).toMatch(/world-writable directory without the sticky bit \(mode 0777\)/)
    await chmod(dir, 0o1777)
    expect((await checkForwardSafety(file, uid)).safe).toBe(true)
  })

  it('refuses a directory and a missing file', async () => {
    const sub = join(dir, 'sub')
    await mkdir(sub)
    expect(await checkForwardSafety(sub, uid)).toMatchObject({ safe: false, reason: 'is not a regular file' })
    expect((await checkForwardSafety(join(dir, 'none'), uid)).reason).toMatch(/cannot be examined \(ENOENT\)/)
  })

  it.skipIf(uid !== 0)('refuses a file owned by someone else (not the user, not root)', async () => {
    await chown(file, 4242, 4242)
    expect(await checkForwardSafety(file, 1000)).toMatchObject({ safe: false, reason: 'is owned by uid 4242, not by its user (uid 1000) or root', ownerUid: 4242 })
    expect((await checkForwardSafety(file, 4242)).safe).toBe(true)
    expect((await checkForwardSafety(file, null)).safe).toBe(true)
  })
})
