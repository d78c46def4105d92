// The local delivery agent with a fake expander: targets of each kind, one outcome per recipient, partial success remembered, loops, forwarding.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { classifyMailboxError } from '../../../src/main/delivery/classify'
import type { DeliveryRequest } from '../../../src/main/delivery/types'
import { DELIVERED_RECORD_MAX_AGE_MS, fileDeliveredRecords, memoryDeliveredRecords } from '../../../src/main/local/delivered-record'
import type { DeliveryTarget, Expander, Expansion, ExpansionProblem, ExpansionStep } from '../../../src/main/local/expansion-types'
import { createLocalDelivery, type LocalDeliveryOptions } from '../../../src/main/local/local-delivery'
import { createMaildirWriter } from '../../../src/main/local/maildir'
import { memoryLogger } from '../../../src/main/log/logger'
import type { EnqueueInput } from '../../../src/main/queue/submission'
import { localSettings } from '../../../src/main/config/schema-local'
import { AppError } from '../../../src/shared/result'

let root: string
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'mailroom-local-delivery-')) })
afterEach(async () => { await rm(root, { recursive: true, force: true }) })

const DATA = Buffer.from('From: bob@remote.test\r\nMessage-ID: <m1@remote.test>\r\nSubject: Hello\r\n\r\nHi there.\r\n')
const step = (from: string, to: string, source: ExpansionStep['source'] = 'aliases'): ExpansionStep => ({ source, file: source === 'aliases' ? '/etc/aliases' : `/home/${from}/.forward`, line: 1, from, to })

/** Expands from a table: recipient local part → targets (with a via chain) and problems. */
function fakeExpander(table: Record<string, { targets: Array<{ target: DeliveryTarget; via?: ExpansionStep[] }>; problems?: Array<Partial<ExpansionProblem>> }>): Expander & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    async expand(recipient): Promise<Expansion> {
      calls.push(recipient)
      const entry = table[recipient.split('@')[0] as string] ?? { targets: [], problems: [{ kind: 'unknown-user', message: `${recipient} is neither a local user nor an alias`, permanent: true, enhanced: '5.1.1' }] }
      return {
        recipient, warnings: [],
        targets: entry.targets.map((t) => ({ target: t.target, via: t.via ?? [] })),
        problems: (entry.problems ?? []).map((p) => ({ address: recipient, kind: 'unknown-user', message: '', permanent: true, enhanced: '5.1.1', via: [], ...p }))
      }
    }
  }
}

function agent(expander: Expander, extra: Partial<LocalDeliveryOptions> = {}) {
  const log = memoryLogger()
  const mailRoot = join(root, 'mail')
  const local = createLocalDelivery({
    config: { hostname: 'desk.local', local: localSettings.parse({ programTimeout: '5s' }) },
    expander, maildir: createMaildirWriter({ mailRoot, hostname: 'desk' }), log,
    findUser: (name) => ({ name, home: root, uid: null }), mailroomHome: root, classifyMailboxError, ...extra
  })
  return { local, log, mailRoot }
}

const request = (recipients: string[], data = DATA, queueId = 'Q1'): DeliveryRequest => ({ queueId, sender: 'bob@remote.test', recipients, data, queuedAt: 0 })
const inbox = async (mailRoot: string, user: string): Promise<string[]> => {
  const dir = join(mailRoot, user, 'Maildir', 'new')
  const names = await readdir(dir).catch(() => [])
  return Promise.all(names.sort().map((name) => readFile(join(dir, name), 'utf8')))
}

describe('local delivery', () => {
  it('delivers through an alias chain into the mailbox with Delivered-To of the final user', async () => {
    const { local, mailRoot } = agent(fakeExpander({ www: { targets: [{ target: { kind: 'mailbox', user: 'root' }, via: [step('www', 'webmaster'), step('webmaster', 'root')] }] } }))
    const [outcome] = await local.deliver(request(['www@desk.local']), ['www@desk.local'])
    expect(outcome).toMatchObject({ recipient: 'www@desk.local', status: 'sent', reply: { enhanced: '2.0.0', host: 'local', human: 'Delivered to the local mailbox of root.' } })
    const [stored] = await inbox(mailRoot, 'root')
    expect(stored).toBe(`Return-Path: <bob@remote.test>\r\nDelivered-To: root@desk.local\r\n${DATA.toString()}`)
  })

  it('delivers to the mailbox and a program (the seed\'s "\\\\user, |program" form); the program gets trace headers and LF', async () => {
    const { local, mailRoot } = agent(fakeExpander({ mark: { targets: [
      { target: { kind: 'mailbox', user: 'mark' }, via: [step('mark', '\\mark', 'forward')] },
      { target: { kind: 'program', command: `cat > ${root}/program-input`, user: 'mark' }, via: [step('mark', '"|out-of-office mark"', 'forward')] }
    ] } }))
    const [outcome] = await local.deliver(request(['mark@desk.local']), ['mark@desk.local'])
    expect(outcome).toMatchObject({ status: 'sent', reply: { human: `Delivered to the local mailbox of mark, the program "|cat > ${root}/program-input".` } })
    expect(await inbox(mailRoot, 'mark')).toHaveLength(1)
    expect(await readFile(join(root, 'program-input'), 'utf8')).toBe(`Return-Path: <bob@remote.test>\nDelivered-To: mark@desk.local\n${DATA.toString().replace(/\r\n/g, '\n')}`)
  })

  it('bounces a program exiting 1 with its output, and still delivers the mailbox copy', async () => {
    const { local, mailRoot } = agent(fakeExpander({ mark: { targets: [
      { target: { kind: 'mailbox', user: 'mark' } },
      { target: { kind: 'program', command: 'echo "no such list" >&2; exit 1', user: 'mark' } }
    ] } }))
    const [outcome] = await local.deliver(request(['mark@desk.local']), ['mark@desk.local'])
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.3.0', text: 'Command died with status 1: "echo "no such list" >&2; exit 1". Command output: no such list' } })
    expect(outcome?.reply.human).toMatch(/failed with exit status 1: no such list\. \(Delivered to the local mailbox of mark\.\)$/)
    expect(await inbox(mailRoot, 'mark')).toHaveLength(1)
  })

  it('defers on exit 75, remembers the mailbox copy, and the retry does not deliver it twice', async () => {
    const flag = join(root, 'ok')
    const records = memoryDeliveredRecords()
    const { local, mailRoot } = agent(fakeExpander({ mark: { targets: [
      { target: { kind: 'mailbox', user: 'mark' } },
      { target: { kind: 'program', command: `test -e ${flag} || exit 75`, user: 'mark' } }
    ] } }), { records })
    const [first] = await local.deliver(request(['mark@desk.local']), ['mark@desk.local'])
    expect(first).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.0', text: expect.stringMatching(/^Command died with status 75: /) } })
    expect(await records.load('Q1', 'mark@desk.local')).toEqual(new Set(['mailbox:mark']))
    const [again] = await local.deliver(request(['mark@desk.local']), ['mark@desk.local'])
    expect(again?.status).toBe('deferred')
    await writeFile(flag, '')
    const [last] = await local.deliver(request(['mark@desk.local']), ['mark@desk.local'])
    expect(last).toMatchObject({ status: 'sent' })
    expect(last?.reply.text).toContain('delivered in an earlier attempt')
    expect(await inbox(mailRoot, 'mark')).toHaveLength(1)
    expect(await records.load('Q1', 'mark@desk.local')).toEqual(new Set())
  })

  it('bounces 5.4.6 when the message already has Delivered-To for an address on the way, delivering nothing', async () => {
    const looped = Buffer.concat([Buffer.from('Delivered-To: webmaster@desk.local\r\n'), DATA])
    const { local, mailRoot } = agent(fakeExpander({ www: { targets: [{ target: { kind: 'mailbox', user: 'root' }, via: [step('www', 'webmaster'), step('webmaster', 'root')] }] } }))
    const [outcome] = await local.deliver(request(['www@desk.local'], looped), ['www@desk.local'])
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.4.6', text: 'mail forwarding loop for webmaster@desk.local' } })
    expect(await inbox(mailRoot, 'root')).toHaveLength(0)
  })

  it('qualifies a bare recipient with the host name in Delivered-To', async () => {
    const { local, mailRoot } = agent(fakeExpander({ root: { targets: [{ target: { kind: 'mailbox', user: 'root' } }] } }))
    expect((await local.deliver(request(['root']), ['root']))[0]?.status).toBe('sent')
    expect((await inbox(mailRoot, 'root'))[0]).toMatch(/^Return-Path: <bob@remote\.test>\r\nDelivered-To: root@desk\.local\r\n/)
  })

  it('bounces 5.4.6 past local.maxReceived Received: lines', async () => {
    const hops = Buffer.from(Array.from({ length: 51 }, (_, i) => `Received: from h${i}\r\n`).join(''))
    const { local } = agent(fakeExpander({ root: { targets: [{ target: { kind: 'mailbox', user: 'root' } }] } }))
    const [outcome] = await local.deliver(request(['root'], Buffer.concat([hops, DATA])), ['root'])
    expect(outcome).toMatchObject({ status: 'failed', reply: { enhanced: '5.4.6', text: expect.stringMatching(/^hop count exceeded/) } })
  })

  it('turns expansion problems into outcomes: permanent → failed, temporary → deferred (others still delivered)', async () => {
    const { local, mailRoot } = agent(fakeExpander({
      list: { targets: [{ target: { kind: 'mailbox', user: 'root' } }], problems: [{ kind: 'unknown-user', message: 'aliases line 3: list → nobody: nobody is neither a local user nor an alias', enhanced: '5.1.1' }] },
      inc: { targets: [], problems: [{ kind: 'unreadable', message: ':include:/x cannot be read (EACCES)', enhanced: '4.3.0', permanent: false }] }
    }))
    const [list, ghost, inc] = await local.deliver(request(['list@desk.local', 'ghost@desk.local', 'inc@desk.local']), ['list@desk.local', 'ghost@desk.local', 'inc@desk.local'])
    expect(list).toMatchObject({ status: 'failed', reply: { enhanced: '5.1.1', human: expect.stringMatching(/nobody is neither .*\(Delivered to the local mailbox of root\.\)$/) } })
    expect(ghost).toMatchObject({ status: 'failed', reply: { enhanced: '5.1.1' } })
    expect(inc).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.0' } })
    expect(await inbox(mailRoot, 'root')).toHaveLength(1)
  })

  it('delivers a target shared by two recipients of one message once', async () => {
    const { local, mailRoot } = agent(fakeExpander({ www: { targets: [{ target: { kind: 'mailbox', user: 'root' }, via: [step('www', 'root')] }] }, root: { targets: [{ target: { kind: 'mailbox', user: 'root' } }] } }))
    const outcomes = await local.deliver(request(['www@desk.local', 'root@desk.local']), ['www@desk.local', 'root@desk.local'])
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent'])
    expect(await inbox(mailRoot, 'root')).toHaveLength(1)
  })

  it('queues remote targets as one new message with the original sender and a Delivered-To', async () => {
    const queued: EnqueueInput[] = []
    const { local } = agent(fakeExpander({ alice: { targets: [
      { target: { kind: 'remote', address: 'alice@work.test' }, via: [step('alice', 'alice@work.test', 'forward')] },
      { target: { kind: 'remote', address: 'a2@home.test' }, via: [step('alice', 'a2@home.test', 'forward')] }
    ] } }), { enqueue: async (input) => { queued.push(input) } })
    const [outcome] = await local.deliver(request(['alice@desk.local']), ['alice@desk.local'])
    expect(outcome).toMatchObject({ status: 'sent', reply: { human: 'Delivered to alice@work.test (forwarded), a2@home.test (forwarded).' } })
    expect(queued).toHaveLength(1)
    expect(queued[0]).toMatchObject({ sender: 'bob@remote.test', recipients: [{ address: 'alice@work.test' }, { address: 'a2@home.test' }], origin: 'local', messageId: '<m1@remote.test>', subject: 'Hello' })
    expect(queued[0]?.data.toString()).toBe(`Delivered-To: alice@desk.local\r\n${DATA.toString()}`)
  })

  it('defers remote targets when the copy cannot be queued (full queue, or no queue in this process)', async () => {
    const table = { alice: { targets: [{ target: { kind: 'remote' as const, address: 'alice@work.test' } }] } }
    const full = agent(fakeExpander(table), { enqueue: async () => { throw new AppError('QUEUE_FULL', 'The outbox is full') } })
    expect((await full.local.deliver(request(['alice@desk.local']), ['alice@desk.local']))[0]).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.0', text: expect.stringContaining('The outbox is full') } })
    const none = agent(fakeExpander(table))
    expect((await none.local.deliver(request(['alice@desk.local']), ['alice@desk.local']))[0]).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.5' } })
  })

  it('appends file targets in mbox format', async () => {
    const path = join(root, 'archive.mbox')
    const { local } = agent(fakeExpander({ arch: { targets: [{ target: { kind: 'file', path, user: 'root' }, via: [step('arch', path)] }] } }))
    expect((await local.deliver(request(['arch@desk.local']), ['arch@desk.local']))[0]).toMatchObject({ status: 'sent' })
    expect(await readFile(path, 'utf8')).toMatch(/^From bob@remote\.test .*\nReturn-Path: <bob@remote\.test>\nDelivered-To: arch@desk\.local\nFrom: bob@remote\.test\n/)
  })

  it('defers when the expander itself throws (a bug must not lose or bounce mail)', async () => {
    const { local, log } = agent({ expand: async () => { throw new Error('boom') } })
    expect((await local.deliver(request(['x@desk.local']), ['x@desk.local']))[0]).toMatchObject({ status: 'deferred', reply: { enhanced: '4.3.0' } })
    expect(log.lines.join('\n')).toContain('boom')
  })
})

describe('delivered-target records on disk', () => {
  it('saves, loads, removes; a damaged file counts as no record; old records are swept', async () => {
    const dir = join(root, 'var', 'local-delivery')
    const records = fileDeliveredRecords(dir)
    expect(await records.load('Q1', 'a@b')).toEqual(new Set())
    await records.save('Q1', 'a@b', new Set(['mailbox:a', 'program:a:x']))
    expect(await records.load('Q1', 'a@b')).toEqual(new Set(['mailbox:a', 'program:a:x']))
    expect(await records.load('Q1', 'other@b')).toEqual(new Set())
    const [name] = await readdir(dir)
    await writeFile(join(dir, name as string), '{not json')
    expect(await records.load('Q1', 'a@b')).toEqual(new Set())
    await records.save('Q1', 'a@b', new Set(['mailbox:a']))
    await records.remove('Q1', 'a@b')
    expect(await readdir(dir)).toEqual([])
    await writeFile(join(dir, 'OLD.x.json'), '{}')
    const old = new Date(Date.now() - DELIVERED_RECORD_MAX_AGE_MS - 1000)
    await utimes(join(dir, 'OLD.x.json'), old, old)
    await fileDeliveredRecords(dir).save('Q2', 'a@b', new Set(['x']))
    expect((await readdir(dir)).some((n) => n.startsWith('OLD'))).toBe(false)
  })
})
