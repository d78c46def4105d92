// I/O errors at each step of `mailroom sendmail`'s commit: an immutable directory (chattr +i; root gets EPERM too) makes
// the tmp write, the data rename or the envelope rename (the commit point) fail. Exit 75, nothing half-written left.
import { mkdtemp, readdir, readFile, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import { run } from '../../support/proc'
import { describeWithCapability } from '../../support/requirements'

/** chattr +i needs root and a file system with the immutable flag (ext4, xfs, btrfs; not every overlay or tmpfs). */
async function chattrProblem(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'chattr needs Linux'
  if (process.getuid?.() !== 0) return 'chattr +i needs root'
  const probe = await mkdtemp(join(tmpdir(), 'mailroom-chattr-probe-'))
  try {
    const set = await run('chattr', ['+i', probe]).catch((error: Error) => ({ code: -1, stderr: error.message }))
    if (set.code !== 0) return `chattr +i is not supported for ${tmpdir()}: ${set.stderr.trim()}`
    await run('chattr', ['-i', probe])
    return undefined
  } finally {
    await rmdir(probe).catch(() => undefined)
  }
}

const message = (n: number): string => `From: alice@example.org\nTo: bob@example.net\nSubject: io ${n}\nMessage-ID: <io-${n}@example.org>\n\nBody ${n}\n`

describeWithCapability('sendmail when a spool directory refuses writes (EPERM)', await chattrProblem(), () => {
  let home: string
  let spool: string
  const immutable = new Set<string>()

  beforeAll(async () => {
    requireBuild()
    home = await makeHome({ config: { queue: { minFreeDisk: 0 } } })
    spool = join(home, 'spool')
    const first = await runCli(home, ['sendmail', '-t', '-i'], message(0))
    expect(first.code, first.stderr).toBe(0)
  })

  afterAll(async () => {
    for (const dir of immutable) await run('chattr', ['-i', dir])
    if (home !== undefined) await removeHome(home)
  })

  async function expectOnlyCommitted(count: number): Promise<void> {
    expect(await readdir(join(spool, 'tmp'))).toEqual([])
    const data = (await readdir(join(spool, 'data'))).sort()
    const envelopes = (await readdir(join(spool, 'queued'))).map((n) => n.replace(/\.json$/, '')).sort()
    expect(envelopes).toEqual(data)
    expect(data).toHaveLength(count)
    for (const id of data) {
      const envelope = parseEnvelope(await readFile(join(spool, 'queued', `${id}.json`)))
      expect(envelope.size).toBe((await readFile(join(spool, 'data', id))).length)
    }
  }

  test.each([
    ['tmp', 'writing the data file into tmp/', /EPERM: operation not permitted, open/],
    ['data', 'renaming the data file into data/', /EPERM: operation not permitted, rename .* -> '.*\/data\//],
    ['queued', 'renaming the envelope into queued/ (the commit point)', /EPERM: operation not permitted, rename .* -> '.*\/queued\//]
  ])('immutable %s/: fails while %s → exit 75, nothing half-written', async (dir, _what, detail) => {
    const path = join(spool, dir)
    await run('chattr', ['+i', path])
    immutable.add(path)
    try {
      const result = await runCli(home, ['sendmail', '-t', '-i'], message(1))
      expect(result.code, result.stderr).toBe(75)
      expect(result.stderr).toMatch(/could not be written to the outbox: /)
      expect(result.stderr).toMatch(detail)
    } finally {
      await run('chattr', ['-i', path])
      immutable.delete(path)
    }
    await expectOnlyCommitted(1)
  })

  test('once the directory accepts writes again, the next submission is committed', async () => {
    const result = await runCli(home, ['sendmail', '-t', '-i'], message(2))
    expect(result.code, result.stderr).toBe(0)
    await expectOnlyCommitted(2)
  })
})
