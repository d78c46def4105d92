// mbox delivery: the "From " line, >From quoting, blank line at the end, 0600, dot-lock wait and stale lock, refused symlinks and hard links.
import { link, lstat, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appendMbox, asctime, mboxEntry } from '../../../src/main/local/mbox'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailroom-mbox-test-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const NOW = new Date(2026, 10, 5, 9, 4, 1)
const MESSAGE = Buffer.from('From: a@b.test\r\nSubject: hi\r\n\r\nFrom here on\r\n>From quoted\r\n>>From twice\r\n From not at start\r\nend')

describe('mbox entry', () => {
  it('writes asctime with a space-padded day', () => {
    expect(asctime(NOW)).toBe('Thu Nov  5 09:04:01 2026')
  })

  it('has the From_ line, trace headers, LF line ends, >From quoting and a blank line at the end', () => {
    expect(mboxEntry(MESSAGE, 'alice@b.test', 'bob@desk.local', NOW).toString()).toBe(
      'From alice@b.test Thu Nov  5 09:04:01 2026\nReturn-Path: <alice@b.test>\nDelivered-To: bob@desk.local\n' +
      'From: a@b.test\nSubject: hi\n\n>From here on\n>>From quoted\n>>>From twice\n From not at start\nend\n\n')
  })

  it('says MAILER-DAEMON for the null sender', () => {
    expect(mboxEntry(Buffer.from('A: b\r\n\r\nx\r\n'), '', 'bob@x', NOW).toString()).toMatch(/^From MAILER-DAEMON Thu Nov {2}5 09:04:01 2026\nReturn-Path: <>\n/)
  })
})

describe('appendMbox', () => {
  it('creates the file 0600 and appends entries, removing its lock', async () => {
    const path = join(dir, 'mbox')
    expect(await appendMbox(path, MESSAGE, { sender: 'a@b.test', deliveredTo: 'bob@x', now: NOW })).toEqual({ status: 'sent', text: `delivered to file ${path}` })
    expect(await appendMbox(path, Buffer.from('S: 2\r\n\r\nsecond\r\n'), { sender: 'a@b.test', deliveredTo: 'bob@x', now: NOW })).toMatchObject({ status: 'sent' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const text = await readFile(path, 'utf8')
    expect(text.match(/^From a@b\.test /gm)).toHaveLength(2)
    expect(text.endsWith('second\n\n')).toBe(true)
    await expect(lstat(`${path}.lock`)).rejects.toThrow(/ENOENT/)
  })

  it('refuses a symbolic link (5.2.0) and writes nothing through it', async () => {
    const target = join(dir, 'target')
    await writeFile(target, '')
    await symlink(target, join(dir, 'link'))
    const result = await appendMbox(join(dir, 'link'), MESSAGE, { sender: 'a@b.test', deliveredTo: 'bob@x' })
    expect(result).toMatchObject({ status: 'failed', enhanced: '5.2.0', text: expect.stringContaining('symbolic link') })
    expect(await readFile(target, 'utf8')).toBe('')
  })

  it('refuses a file with two hard links, a directory and a relative path', async () => {
    const a = join(dir, 'a')
    await writeFile(a, '')
    await link(a, join(dir, 'b'))
    expect(await appendMbox(a, MESSAGE, { sender: '', deliveredTo: 'x' })).toMatchObject({ status: 'failed', text: expect.stringContaining('2 hard links') })
    expect(await appendMbox(dir, MESSAGE, { sender: '', deliveredTo: 'x' })).toMatchObject({ status: 'failed', text: expect.stringContaining('not a regular file') })
    expect(await appendMbox('relative/mbox', MESSAGE, { sender: '', deliveredTo: 'x' })).toMatchObject({ status: 'failed', text: expect.stringContaining('not absolute') })
  })

  it('bounces when the directory does not exist (5.2.0)', async () => {
    expect(await appendMbox(join(dir, 'missing', 'mbox'), MESSAGE, { sender: '', deliveredTo: 'x' })).toMatchObject({ status: 'failed', enhanced: '5.2.0' })
  })

  it('waits for a live lock and defers (4.2.0) when it stays', async () => {
    const path = join(dir, 'mbox')
    await writeFile(`${path}.lock`, `${process.pid}\n`)
    const started = Date.now()
    const result = await appendMbox(path, MESSAGE, { sender: '', deliveredTo: 'x', lockWaitMs: 300, lockRetryMs: 50 })
    expect(result).toMatchObject({ status: 'deferred', enhanced: '4.2.0', text: expect.stringContaining('unable to lock') })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`)
    await expect(stat(path)).rejects.toThrow(/ENOENT/)
  })

  it('proceeds once the lock is released', async () => {
    const path = join(dir, 'mbox')
    await writeFile(`${path}.lock`, `${process.pid}\n`)
    setTimeout(() => { void rm(`${path}.lock`) }, 100)
    expect(await appendMbox(path, MESSAGE, { sender: '', deliveredTo: 'x', lockWaitMs: 5000, lockRetryMs: 20 })).toMatchObject({ status: 'sent' })
  })

  it('removes a stale lock: too old, or naming a dead process', async () => {
    const path = join(dir, 'mbox')
    await writeFile(`${path}.lock`, 'held by procmail\n')
    const old = new Date(Date.now() - 600_000)
    await utimes(`${path}.lock`, old, old)
    expect(await appendMbox(path, MESSAGE, { sender: '', deliveredTo: 'x', lockWaitMs: 200 })).toMatchObject({ status: 'sent' })
    await writeFile(`${path}.lock`, '999999999\n')
    expect(await appendMbox(path, MESSAGE, { sender: '', deliveredTo: 'x', lockWaitMs: 200 })).toMatchObject({ status: 'sent' })
  })
})
