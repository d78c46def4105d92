// The notifier: NOTIFY rules, local senders into their Maildir with Return-Path <>, remote senders through the spool from <>.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { createMaildirWriter, nodeMaildirFs } from '../../../src/main/local/maildir'
import { memoryLogger } from '../../../src/main/log/logger'
import { createNotifier, localMailboxUser, suppressionReason, type NoticeEnqueueInput, type NotifierOptions } from '../../../src/main/notices/notifier'
import type { NoticeKind, NoticeRequest } from '../../../src/main/notices/types'
import type { DsnOptions } from '../../../src/main/queue/envelope'
import { Spool } from '../../../src/main/queue/spool'
import { AppError } from '../../../src/shared/result'
import { HOUR, ORIGINAL, T0, envelope, gone, parseStatusGroups, splitMultipart } from './helpers'

let root: string
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'mailroom-notifier-test-')) })
afterEach(async () => { await rm(root, { recursive: true, force: true }) })

function setup(overrides: Partial<NotifierOptions> = {}) {
  const log = memoryLogger()
  const enqueued: NoticeEnqueueInput[] = []
  const notifier = createNotifier({
    hostname: 'mailroom.test',
    localDomains: localDomainsFrom(['mailroom.test', 'localhost', 'local.test']),
    mailRoot: join(root, 'mail'),
    enqueue: async (input) => { enqueued.push(input); return { id: `NOTICE${enqueued.length}` } },
    log,
    ...overrides
  })
  return { notifier, log, enqueued }
}

function request(kind: NoticeKind, sender: string, dsn?: DsnOptions): NoticeRequest {
  return { kind, envelope: envelope({ sender, ...(dsn === undefined ? {} : { dsn }) }), recipients: [{ ...gone, willRetryUntil: T0 + 120 * HOUR }], data: ORIGINAL, now: T0 + 5 * HOUR }
}

async function inbox(user: string): Promise<string[]> {
  try {
    return (await readdir(join(root, 'mail', user, 'Maildir', 'new'))).sort()
  } catch {
    return []
  }
}

describe('which notices are sent (RFC 3461 NOTIFY)', () => {
  it.each<[NoticeKind, DsnOptions | undefined, boolean]>([
    ['failure', undefined, true],
    ['delay', undefined, true],
    ['deleted', undefined, true],
    ['failure', { notify: ['NEVER'] }, false],
    ['delay', { notify: ['NEVER'] }, false],
    ['deleted', { notify: ['NEVER'] }, false],
    ['failure', { notify: ['FAILURE'] }, true],
    ['delay', { notify: ['FAILURE'] }, false],
    ['delay', { notify: ['DELAY'] }, true],
    ['failure', { notify: ['DELAY'] }, false],
    ['deleted', { notify: ['DELAY'] }, false],
    ['failure', { notify: ['SUCCESS'] }, false],
    ['delay', { notify: ['SUCCESS', 'DELAY'] }, true],
    ['failure', { notify: ['FAILURE', 'DELAY'] }, true]
  ])('%s with %j → sent: %s', async (kind, dsn, sent) => {
    const { notifier, enqueued, log } = setup()
    const result = await notifier.send(request(kind, 'carol@remote.test', dsn))
    expect(result.status).toBe(sent ? 'queued' : 'suppressed')
    expect(enqueued).toHaveLength(sent ? 1 : 0)
    if (!sent) expect(log.lines.join('\n')).toMatch(/info bounce: 01JGZ0000000AB000001: no \w+ notice to <carol@remote.test>: /)
  })

  it('never sends a notice to the null sender, nor one about no recipients', async () => {
    const { notifier, enqueued } = setup()
    expect(await notifier.send(request('failure', ''))).toEqual({ status: 'suppressed', reason: 'the message has the null sender <>' })
    expect(await notifier.send({ ...request('failure', 'carol@remote.test'), recipients: [] })).toEqual({ status: 'suppressed', reason: 'there are no recipients to report' })
    expect(enqueued).toEqual([])
    expect(await inbox('')).toEqual([])
  })

  it('suppressionReason names the rule', () => {
    expect(suppressionReason({ kind: 'delay', envelope: envelope({ dsn: { notify: ['FAILURE'] } }) })).toBe('the sender did not ask for delay notices (NOTIFY=FAILURE)')
    expect(suppressionReason({ kind: 'failure', envelope: envelope({ dsn: { notify: ['NEVER'] } }) })).toBe('the sender asked for no notices (NOTIFY=NEVER)')
  })
})

describe('a local sender gets the notice in their Maildir', () => {
  it('delivers into mail/<local part>/Maildir/new with Return-Path <> and Delivered-To, and does not enqueue', async () => {
    const { notifier, enqueued, log } = setup()
    const result = await notifier.send(request('failure', 'Alice@Local.Test'))
    expect(result.status).toBe('local')
    const path = result.status === 'local' ? result.path : ''
    expect(path.startsWith(join(root, 'mail', 'alice', 'Maildir', 'new') + '/')).toBe(true)
    expect(await readdir(join(root, 'mail', 'alice', 'Maildir', 'tmp'))).toEqual([])
    expect(enqueued).toEqual([])
    const raw = await readFile(path)
    expect(raw.toString('latin1')).toMatch(/^Return-Path: <>\r\nDelivered-To: Alice@Local.Test\r\nFrom: "Mail Delivery System" <MAILER-DAEMON@mailroom.test>\r\n/)
    const mail = await simpleParser(raw)
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender')
    expect(mail.text).toContain('What happened: The server for remote.test says the mailbox does not exist.')
    const status = parseStatusGroups(splitMultipart(raw.toString('utf8').replace(/^(Return-Path|Delivered-To): .*\r\n/gm, '')).parts[1]?.body ?? '')
    expect(status[1]).toMatchObject({ 'Final-Recipient': 'rfc822; gone@remote.test', Action: 'failed', Status: '5.1.1' })
    expect(log.lines).toContain(`info bounce: 01JGZ0000000AB000001: sender non-delivery notification: delivered to maildir ${path} (to <Alice@Local.Test>)`)
  })

  it('treats a bare user name and localhost as local', async () => {
    const { notifier, enqueued } = setup()
    expect((await notifier.send(request('delay', 'bob'))).status).toBe('local')
    expect((await notifier.send(request('delay', 'carol@localhost'))).status).toBe('local')
    expect(await inbox('bob')).toHaveLength(1)
    expect(await inbox('carol')).toHaveLength(1)
    expect(enqueued).toEqual([])
  })

  it('a local sender whose name cannot be a mailbox: suppressed with a warning, nothing written', async () => {
    const { notifier, log } = setup()
    const result = await notifier.send(request('failure', '.hidden@local.test'))
    expect(result.status).toBe('suppressed')
    expect(result.status === 'suppressed' ? result.reason : '').toContain('has no valid local mailbox')
    expect(log.lines.some((l) => l.startsWith('warn bounce: 01JGZ0000000AB000001: no failure notice: the sender <.hidden@local.test>'))).toBe(true)
    expect(await readdir(root)).toEqual([])
  })

  it('a mailbox that cannot be written: the error reaches the queue (it retries) and is logged', async () => {
    const failing = createMaildirWriter({
      mailRoot: join(root, 'mail'),
      fs: { ...nodeMaildirFs, rename: async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) } }
    })
    const { notifier, log } = setup({ maildir: failing })
    const error = await notifier.send(request('failure', 'alice@local.test')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).temporary).toBe(true)
    expect(log.lines.some((l) => l.startsWith('error bounce: 01JGZ0000000AB000001: sender non-delivery notification to <alice@local.test> could not be delivered: could not move'))).toBe(true)
    expect(await inbox('alice')).toEqual([])
  })
})

describe('a remote sender gets the notice through the spool from <>', () => {
  it('enqueues the DSN with the null sender to the original sender, origin local', async () => {
    const { notifier, enqueued, log } = setup()
    const result = await notifier.send(request('delay', 'carol@remote.test'))
    expect(result).toEqual({ status: 'queued', id: 'NOTICE1' })
    expect(enqueued).toHaveLength(1)
    const input = enqueued[0]
    expect(input).toMatchObject({ sender: '', recipients: [{ address: 'carol@remote.test' }], origin: 'local', subject: 'Delayed Mail (still being retried)' })
    const mail = await simpleParser(input?.data ?? Buffer.alloc(0))
    expect(mail.messageId).toBe(input?.messageId)
    expect(mail.text).toContain('This is only a warning')
    expect(await readdir(root)).toEqual([])
    expect(log.lines).toContain('info bounce: 01JGZ0000000AB000001: sender delay notification: NOTICE1 (to <carol@remote.test>, 1 recipient)')
  })

  it('commits the notice into a real spool: envelope from <> to the sender, data is the DSN', async () => {
    const log = memoryLogger()
    const spool = await Spool.open(join(root, 'spool'), { clock: { now: () => T0, setTimeout: () => ({ cancel: () => undefined }) }, log })
    const { notifier } = setup({ enqueue: (input) => spool.enqueue(input) })
    const result = await notifier.send(request('failure', 'carol@remote.test', { ret: 'FULL' }))
    if (result.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(result)}`)
    const env = await spool.get(result.id)
    expect(env).toMatchObject({ sender: '', origin: 'local', subject: 'Undelivered Mail Returned to Sender', recipients: [{ address: 'carol@remote.test', state: 'pending' }] })
    const mail = await simpleParser(await spool.readData(result.id))
    expect(mail.messageId).toBe(env?.messageId)
    expect(mail.attachments.find((a) => a.contentType === 'message/rfc822')?.content.toString('latin1')).toBe(ORIGINAL.toString('latin1'))
  })

  it('a spool that refuses (queue full) makes send() fail so the queue keeps the message and retries', async () => {
    const { notifier } = setup({ enqueue: async () => { throw new AppError('QUEUE_FULL', 'the outbox is full') } })
    await expect(notifier.send(request('failure', 'carol@remote.test'))).rejects.toThrow('the outbox is full')
  })
})

describe('localMailboxUser', () => {
  it('is the lower-cased local part', () => {
    expect(localMailboxUser('Alice.Smith@Local.Test')).toBe('alice.smith')
    expect(localMailboxUser('bob')).toBe('bob')
    expect(localMailboxUser('"odd@name"@local.test')).toBe('"odd@name"')
  })
})
