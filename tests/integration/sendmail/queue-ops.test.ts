// `mailroom queue …` through the built CLI in a temp MAILROOM_HOME: each operation, its mailq view, and its errors (exit codes
// from the error table: 66 unknown id, 69 wrong state, 64 usage). No daemon runs here, so the CLI opens the queue itself.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { makeHome, removeHome, requireBuild, runCli, spoolFiles } from '../../support/mailroom'

interface Listed {
  id: string
  state: string
  hold?: { kind: string } | null
  recipients: Array<{ address: string; state: string }>
}

async function submit(home: string, to = 'bob@remote.test'): Promise<string> {
  const result = await runCli(home, ['sendmail', '-v', to], 'Subject: ops\n\nbody\n')
  expect(result.code).toBe(0)
  const id = /queued as (\S+)/.exec(result.stderr)?.[1]
  expect(id).toBeDefined()
  return id as string
}

async function listed(home: string): Promise<Listed[]> {
  return JSON.parse((await runCli(home, ['mailq', '--json'])).stdout) as Listed[]
}

describe('mailroom queue operations (built CLI, no daemon)', () => {
  let home: string
  beforeAll(() => requireBuild())
  beforeEach(async () => {
    home = await makeHome()
  })
  afterEach(() => removeHome(home))

  it('hold marks the message with ! and moves it to hold/; release takes it back', async () => {
    const id = await submit(home)
    const held = await runCli(home, ['queue', 'hold', id])
    expect(held).toMatchObject({ code: 0, stdout: `${id}: held\n` })
    expect(await spoolFiles(home, 'hold')).toEqual([`${id}.json`])
    expect((await runCli(home, ['mailq'])).stdout).toMatch(new RegExp(`^${id}! `, 'm'))
    expect((await runCli(home, ['queue', 'release', id])).code).toBe(0)
    expect(await spoolFiles(home, 'hold')).toEqual([])
    expect((await runCli(home, ['mailq'])).stdout).toMatch(new RegExp(`^${id} `, 'm'))
  })

  it('freeze shows *** frozen *** in mailq and the hold kind in --json; thaw lifts it', async () => {
    const id = await submit(home)
    expect((await runCli(home, ['queue', 'freeze', id])).code).toBe(0)
    expect((await runCli(home, ['mailq'])).stdout).toContain('*** frozen ***')
    expect((await listed(home))[0]?.hold?.kind).toBe('freeze')
    expect((await runCli(home, ['queue', 'thaw', id])).code).toBe(0)
    expect((await runCli(home, ['mailq'])).stdout).not.toContain('frozen')
  })

  it('edit-recipients replaces the recipients of a held message, and refuses (69) one that is not held', async () => {
    const id = await submit(home)
    const refused = await runCli(home, ['queue', 'edit-recipients', id, 'carol@remote.test'])
    expect(refused.code).toBe(69)
    expect(refused.stderr).toMatch(/^mailroom queue: /)
    expect((await runCli(home, ['queue', 'hold', id])).code).toBe(0)
    const edited = await runCli(home, ['queue', 'edit-recipients', id, 'carol@remote.test,dan@remote.test'])
    expect(edited).toMatchObject({ code: 0, stdout: `${id}: recipients replaced: carol@remote.test, dan@remote.test\n` })
    expect((await listed(home))[0]?.recipients.map((r) => r.address)).toEqual(['carol@remote.test', 'dan@remote.test'])
    const invalid = await runCli(home, ['queue', 'edit-recipients', id, 'not an address'])
    expect(invalid.code).toBe(64)
  })

  it('retry makes the message due now and says that no daemon will send it yet', async () => {
    const id = await submit(home)
    const result = await runCli(home, ['queue', 'retry', id])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('no Mailroom daemon or app is running')
    expect(await spoolFiles(home, 'queued')).toEqual([`${id}.json`])
  })

  it('delete removes the message (data too); --notify is accepted; several ids at once', async () => {
    const a = await submit(home)
    const b = await submit(home, 'carol@remote.test')
    const result = await runCli(home, ['queue', 'delete', '--notify', a, b])
    expect(result).toMatchObject({ code: 0, stdout: `${a}: deleted\n${b}: deleted\n` })
    expect(await spoolFiles(home, 'queued')).toEqual([])
    expect(await spoolFiles(home, 'data')).toEqual([])
    expect((await runCli(home, ['mailq'])).stdout).toBe('Mail queue is empty\n')
  })

  it('undo refuses (69) a message that is not in its undo window', async () => {
    const id = await submit(home)
    const result = await runCli(home, ['queue', 'undo', id])
    expect(result.code).toBe(69)
    expect(result.stderr).toContain('can no longer be undone')
    expect(await spoolFiles(home, 'queued')).toEqual([`${id}.json`])
  })

  it('an unknown id exits 66 and names it; other ids of the same command still run', async () => {
    const id = await submit(home)
    const result = await runCli(home, ['queue', 'hold', '0000000000NOSUCHID00', id])
    expect(result.code).toBe(66)
    expect(result.stderr).toContain('0000000000NOSUCHID00')
    expect(result.stdout).toBe(`${id}: held\n`)
  })

  it('status reports counts and limits; --json for machines', async () => {
    await submit(home)
    const human = await runCli(home, ['queue', 'status'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^messages: 1 \(1 queued, 0 deferred, 0 on hold, 0 corrupt\)$/m)
    expect(human.stdout).toMatch(/^accepting: yes$/m)
    const json = JSON.parse((await runCli(home, ['queue', 'status', '--json'])).stdout) as { messages: number; limits: { maxMessages: number } }
    expect(json).toMatchObject({ messages: 1, limits: { maxMessages: 100_000 } })
  })

  it.each([
    { args: ['queue'], says: 'usage: mailroom queue' },
    { args: ['queue', 'explode', 'X'], says: 'unknown queue operation "explode"' },
    { args: ['queue', 'hold'], says: 'name the message' },
    { args: ['queue', 'hold', '--notify', 'X'], says: '--notify only goes with delete' },
    { args: ['queue', 'edit-recipients', 'X'], says: 'give the new recipient addresses' }
  ])('usage error for $args (exit 64)', async ({ args, says }) => {
    const result = await runCli(home, args)
    expect(result.code).toBe(64)
    expect(result.stderr).toContain(says)
  })

  it('sendmail -qI ID is retry for one message', async () => {
    const id = await submit(home)
    const result = await runCli(home, ['sendmail', `-qI${id}`])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${id}: will be tried now\n`)
    expect(await readFile(join(home, 'spool', 'queued', `${id}.json`), 'utf8')).toContain(id)
  })
})
