// Maildir delivery: unique names, tmp → fsync → rename → fsync new/, trace headers, refused mailbox names, I/O failures.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  checkMailboxUser, createMaildirWriter, maildirFileName, nodeMaildirFs, type MaildirFs
} from '../../../src/main/local/maildir'
import { AppError } from '../../../src/shared/result'

const MESSAGE = Buffer.from('From: a@b.test\r\nSubject: hi\r\n\r\nbody\r\n')
const NAME = /^(\d+)\.M(\d+)P(\d+)Q(\d+)\.([^,/]+),S=(\d+)$/

let root: string
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'mailroom-maildir-test-')) })
afterEach(async () => { await rm(root, { recursive: true, force: true }) })

const ls = async (dir: string): Promise<string[]> => (await readdir(dir)).sort()

/** The real filesystem, with every step recorded (paths relative to the mail root), and optional failures. */
function recordingFs(fail: { sync?: boolean; rename?: boolean; fsyncNew?: boolean; eexistOnce?: boolean } = {}): MaildirFs & { steps: string[] } {
  const steps: string[] = []
  const rel = (p: string): string => p.slice(root.length + 1) || '.'
  let eexist = fail.eexistOnce === true
  return {
    steps,
    mkdirp: async (path, mode) => { steps.push(`mkdir ${rel(path)}`); return nodeMaildirFs.mkdirp(path, mode) },
    async createExclusive(path, mode) {
      steps.push(`create ${rel(path).replace(/tmp\/.*/, 'tmp/<name>')}`)
      if (eexist) {
        eexist = false
        throw Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST' })
      }
      const handle = await nodeMaildirFs.createExclusive(path, mode)
      return {
        write: async (bytes) => { steps.push('write'); await handle.write(bytes) },
        sync: async () => {
          steps.push('fsync file')
          if (fail.sync === true) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
          await handle.sync()
        },
        close: async () => { steps.push('close'); await handle.close() }
      }
    },
    rename: async (from, to) => {
      steps.push(`rename ${rel(from).replace(/tmp\/.*/, 'tmp/<name>')} -> ${rel(to).replace(/new\/.*/, 'new/<name>')}`)
      if (fail.rename === true) throw Object.assign(new Error('EXDEV: cross-device link'), { code: 'EXDEV' })
      await nodeMaildirFs.rename(from, to)
    },
    unlink: async (path) => { steps.push(`unlink ${rel(path).replace(/(tmp|new)\/.*/, '$1/<name>')}`); await nodeMaildirFs.unlink(path) },
    fsyncDir: async (dir) => {
      steps.push(`fsync dir ${rel(dir)}`)
      if (fail.fsyncNew === true && dir.endsWith('/new')) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      await nodeMaildirFs.fsyncDir(dir)
    }
  }
}

describe('Maildir delivery', () => {
  it('writes into new/ with Return-Path and Delivered-To, leaves tmp/ empty, creates cur/new/tmp 0700', async () => {
    const writer = createMaildirWriter({ mailRoot: root, hostname: 'host.test' })
    const path = await writer.deliver('alice', MESSAGE, { returnPath: '', deliveredTo: 'alice@local.test' })
    const maildir = join(root, 'alice', 'Maildir')
    expect(path.startsWith(join(maildir, 'new') + '/')).toBe(true)
    expect(await ls(maildir)).toEqual(['cur', 'new', 'tmp'])
    expect(await ls(join(maildir, 'tmp'))).toEqual([])
    expect(await ls(join(maildir, 'cur'))).toEqual([])
    for (const sub of ['cur', 'new', 'tmp']) expect((await stat(join(maildir, sub))).mode & 0o777).toBe(0o700)
    const content = await readFile(path)
    expect(content.toString()).toBe('Return-Path: <>\r\nDelivered-To: alice@local.test\r\n' + MESSAGE.toString())
    const match = NAME.exec(path.split('/').pop() ?? '')
    expect(match).not.toBeNull()
    expect(Number(match?.[3])).toBe(process.pid)
    expect(match?.[5]).toBe('host.test')
    expect(Number(match?.[6])).toBe(content.length)
  })

  it('writes the sender into Return-Path and adds nothing when no trace options are given', async () => {
    const writer = createMaildirWriter({ mailRoot: root })
    const withSender = await writer.deliver('bob', MESSAGE, { returnPath: 'carol@remote.test' })
    expect((await readFile(withSender)).toString()).toBe('Return-Path: <carol@remote.test>\r\n' + MESSAGE.toString())
    const plain = await writer.deliver('bob', MESSAGE)
    expect(await readFile(plain)).toEqual(MESSAGE)
  })

  it('trace headers cannot inject header lines', async () => {
    const writer = createMaildirWriter({ mailRoot: root })
    const path = await writer.deliver('bob', MESSAGE, { returnPath: 'x@y>\r\nBcc: evil@z', deliveredTo: 'bob@local\r\nX-Evil: 1' })
    const head = (await readFile(path)).toString().split('\r\n\r\n')[0] ?? ''
    expect(head.split('\r\n')).toEqual(['Return-Path: <x@y Bcc: evil@z>', 'Delivered-To: bob@local X-Evil: 1', 'From: a@b.test', 'Subject: hi'])
  })

  it('gives every delivery a unique name, even at the same microsecond and concurrently', async () => {
    const writer = createMaildirWriter({ mailRoot: root, hostname: 'host.test', nowMicros: () => 1_736_154_000_123_456 })
    const paths = await Promise.all(Array.from({ length: 50 }, () => writer.deliver('alice', MESSAGE)))
    expect(new Set(paths).size).toBe(50)
    const names = await ls(join(root, 'alice', 'Maildir', 'new'))
    expect(names).toHaveLength(50)
    for (const name of names) expect(name).toMatch(/^1736154000\.M123456P\d+Q\d+\.host\.test,S=\d+$/)
    expect(await ls(join(root, 'alice', 'Maildir', 'tmp'))).toEqual([])
  })

  it('follows the durability order: create in tmp/, write, fsync, close, rename into new/, fsync new/', async () => {
    const fs = recordingFs()
    const writer = createMaildirWriter({ mailRoot: root, fs })
    await writer.deliver('alice', MESSAGE)
    expect(fs.steps).toEqual([
      'mkdir alice/Maildir/tmp', 'mkdir alice/Maildir/new', 'mkdir alice/Maildir/cur',
      // New directories are made durable up to the mail root, once.
      'fsync dir alice/Maildir', 'fsync dir alice', 'fsync dir .',
      'create alice/Maildir/tmp/<name>', 'write', 'fsync file', 'close',
      'rename alice/Maildir/tmp/<name> -> alice/Maildir/new/<name>',
      'fsync dir alice/Maildir/new'
    ])
    fs.steps.length = 0
    await writer.deliver('alice', MESSAGE)
    expect(fs.steps).toEqual([
      'create alice/Maildir/tmp/<name>', 'write', 'fsync file', 'close',
      'rename alice/Maildir/tmp/<name> -> alice/Maildir/new/<name>', 'fsync dir alice/Maildir/new'
    ])
  })

  it('tries a new name when tmp/ already has the file', async () => {
    const fs = recordingFs({ eexistOnce: true })
    const path = await createMaildirWriter({ mailRoot: root, fs }).deliver('alice', MESSAGE)
    expect(fs.steps.filter((s) => s.startsWith('create'))).toHaveLength(2)
    expect(await ls(join(root, 'alice', 'Maildir', 'new'))).toEqual([path.split('/').pop()])
  })

  it('encodes / and : in the host part (Maildir spec)', () => {
    expect(maildirFileName(1_000_000_042, 7, 3, 'a/b:c', 99)).toBe('1000.M42P7Q3.a\\057b\\072c,S=99')
  })
})

describe('Maildir delivery failures leave nothing behind', () => {
  const empty = async (user: string): Promise<void> => {
    expect(await ls(join(root, user, 'Maildir', 'tmp'))).toEqual([])
    expect(await ls(join(root, user, 'Maildir', 'new'))).toEqual([])
  }

  it('an fsync error of the file: temporary AppError, partial file removed', async () => {
    const writer = createMaildirWriter({ mailRoot: root, fs: recordingFs({ sync: true }) })
    const error = await writer.deliver('alice', MESSAGE).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).temporary).toBe(true)
    expect((error as AppError).message).toMatch(/could not write .*alice\/Maildir\/tmp\/.*EIO/)
    await empty('alice')
  })

  it('a failed rename: error, tmp file removed', async () => {
    const writer = createMaildirWriter({ mailRoot: root, fs: recordingFs({ rename: true }) })
    await expect(writer.deliver('alice', MESSAGE)).rejects.toThrow(/could not move the message into .*EXDEV/)
    await empty('alice')
  })

  it('a failed fsync of new/: error, the message taken back so a retry cannot duplicate it', async () => {
    const writer = createMaildirWriter({ mailRoot: root, fs: recordingFs({ fsyncNew: true }) })
    await expect(writer.deliver('alice', MESSAGE)).rejects.toThrow(/could not sync the directory .*new/)
    await empty('alice')
  })

  it('a mail root that cannot be created: clear error naming the directory', async () => {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(root, 'blocker'), 'not a directory')
    const writer = createMaildirWriter({ mailRoot: join(root, 'blocker') })
    await expect(writer.deliver('alice', MESSAGE)).rejects.toThrow(/could not create the mailbox directory .*blocker\/alice\/Maildir\/tmp/)
  })

  it('a failed preparation is tried again on the next delivery', async () => {
    const { writeFile, unlink } = await import('node:fs/promises')
    await writeFile(join(root, 'alice'), 'in the way')
    const writer = createMaildirWriter({ mailRoot: root })
    await expect(writer.deliver('alice', MESSAGE)).rejects.toThrow(/could not create the mailbox directory/)
    await unlink(join(root, 'alice'))
    const path = await writer.deliver('alice', MESSAGE)
    expect(await readFile(path)).toEqual(MESSAGE)
  })
})

describe('mailbox names', () => {
  it.each([
    ['', 'empty'], ['a/b', 'path separator'], ['..', '".."'], ['../etc', 'path separator'], ['x..y', '".."'],
    ['.hidden', 'starts with "."'], ['a\0b', 'NUL'], ['a\nb', 'control character'], ['a\\b', 'path separator'], ['x'.repeat(256), '255 bytes']
  ])('refuses %j (%s) with INVALID_ADDRESS and writes nothing', async (user, why) => {
    expect(() => checkMailboxUser(user)).toThrow(why)
    const error = await createMaildirWriter({ mailRoot: root }).deliver(user, MESSAGE).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('INVALID_ADDRESS')
    expect(await ls(root)).toEqual([])
  })

  it.each(['alice', 'bob.smith', 'x-y_z+tag', 'jürgen'])('accepts %j', (user) => {
    expect(() => checkMailboxUser(user)).not.toThrow()
  })
})
