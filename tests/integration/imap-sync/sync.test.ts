// The reading backend against a real Dovecot: initial and incremental sync (CONDSTORE/QRESYNC and UID windows),
// IDLE push, search, bodies and attachments, and malformed mail that must never crash or hang the sync.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import type { ImapAccount } from '../../../src/main/imap/imap-account'
import { syncAccount } from '../../../src/main/imap/sync-account'
import { memoryLogger } from '../../../src/main/log/logger'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { describeWithServers } from '../../support/requirements'
import { addSpecialUseFolders, otherDevice, plainMessage, readingWorld, until, withAttachment, type ReadingWorld } from './world'

const MALFORMED = [
  'this is not a message at all, just a line without headers\r\n',
  'Subject: broken multipart\r\nContent-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\nContent-Type: text/plain\r\n\r\nhalf a part',
  'Subject: =?utf-8?B?!!!not-base64?=\r\nFrom: <<<@@@>>>\r\nDate: yesterday-ish\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%% not base64 %%%%\r\n',
  `Subject: deep nesting\r\nContent-Type: multipart/mixed; boundary="d0"\r\n\r\n${Array.from({ length: 60 }, (_, i) => `--d${i}\r\nContent-Type: multipart/mixed; boundary="d${i + 1}"\r\n\r\n`).join('')}--d60\r\nContent-Type: text/plain\r\n\r\nbottom\r\n`
]

describeWithServers('reading: sync, push, search and bodies against Dovecot', ['dovecot', 'root'], () => {
  let dovecot: DovecotInstance
  let world: ReadingWorld
  let other: ImapFlow
  const attachment = randomBytes(300_000)

  beforeAll(async () => {
    dovecot = await startDovecot()
    await addSpecialUseFolders(dovecot)
    for (let i = 1; i <= 40; i += 1) await dovecot.deliver('alice', plainMessage(`Seed ${i}`, i === 7 ? 'the quarterly budget numbers' : `body ${i}`))
    await dovecot.deliver('alice', withAttachment('Report with attachment', attachment))
    for (const raw of MALFORMED) await dovecot.deliver('alice', raw)
    other = await otherDevice(dovecot)
    world = await readingWorld({ host: dovecot.address, port: dovecot.imapPort })
  }, 90_000)

  afterAll(async () => {
    await world?.close()
    await other?.logout().catch(() => undefined)
    await dovecot?.stop()
  })

  const account = async (): Promise<ImapAccount> => (await world.section.account('alice')) as ImapAccount
  const h = () => world.section.handlers

  it('initial sync: the folder tree with roles and every message, newest first, with progress events', async () => {
    await world.section.start?.({ runner: false })
    await (await account()).engine.whenSynced()
    const folders = await h()['mail.folders']({ accountId: 'alice' })
    expect(Object.fromEntries(folders.map((f) => [f.path, f.role]))).toMatchObject({ INBOX: 'inbox', Sent: 'sent', Trash: 'trash', Archive: 'archive' })
    const inbox = folders.find((f) => f.path === 'INBOX')
    expect(inbox).toMatchObject({ total: 45, unread: 45, selectable: true })
    const list = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 10 })
    expect(list).toHaveLength(10)
    expect(list[0]?.uid).toBeGreaterThan(list[9]?.uid ?? Infinity)
    const page2 = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 40, limit: 10 })
    expect(page2).toHaveLength(5)
    const progress = world.events.filter((e) => e.name === 'mail.syncProgress' && e.payload.phase === 'headers' && e.payload.mailbox === 'INBOX')
    expect(progress.at(-1)?.payload).toMatchObject({ done: 45, total: 45 })
    expect(world.events.some((e) => e.name === 'account.status' && e.payload.state === 'online')).toBe(true)
    // Dovecot offers CONDSTORE/QRESYNC: the session enabled QRESYNC and the folder keeps a HIGHESTMODSEQ for the next sync.
    const acc = await account()
    expect(acc.engine.session.current?.enabled.has('QRESYNC')).toBe(true)
    expect(acc.store.folderState('INBOX')?.highestModseq).toMatch(/^\d+$/)
    const withAtt = list.find((m) => m.subject === 'Report with attachment') ?? (await h()['mail.search']({ accountId: 'alice', mailbox: 'INBOX', query: 'subject:report', scope: 'local', limit: 5 })).messages[0]
    expect(withAtt?.hasAttachments).toBe(true)
  })

  it('IDLE: a message delivered to INBOX is pushed as mail.newMail and shows in the list', async () => {
    const pushed = world.nextEvent('mail.newMail', (p) => (p.messages as { subject: string }[]).some((m) => m.subject === 'Pushed by IDLE'))
    await dovecot.deliver('alice', plainMessage('Pushed by IDLE'))
    const event = await pushed
    expect(event).toMatchObject({ accountId: 'alice', mailbox: 'INBOX' })
    const list = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 100 })
    expect(list.some((m) => m.subject === 'Pushed by IDLE')).toBe(true)
  })

  it('incremental sync picks up flags, expunges and new mail made by another device', async () => {
    const lock = await other.getMailboxLock('INBOX')
    try {
      const seed3 = (await other.search({ subject: 'Seed 3' }, { uid: true })) as number[]
      const seed4 = (await other.search({ subject: 'Seed 4' }, { uid: true })) as number[]
      await other.messageFlagsAdd(seed3, ['\\Flagged', '\\Seen'], { uid: true })
      await other.messageDelete(seed4, { uid: true })
    } finally {
      lock.release()
    }
    await other.append('INBOX', plainMessage('Appended elsewhere'), ['\\Seen'])
    await h()['mail.sync']({ accountId: 'alice', mailbox: 'INBOX' })
    const list = await until('the other device\'s changes', async () => {
      const l = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 200 })
      const s3 = l.find((m) => m.subject === 'Seed 3')
      return s3?.flagged === true && !l.some((m) => m.subject === 'Seed 4') && l.some((m) => m.subject === 'Appended elsewhere') ? l : null
    })
    expect(list.find((m) => m.subject === 'Seed 3')).toMatchObject({ seen: true, flagged: true })
  })

  it('UID windows (no CONDSTORE) reach the same cache as the modseq path', async () => {
    const windows = await readingWorld({ host: dovecot.address, port: dovecot.imapPort }, { windowsOnly: true })
    try {
      await windows.section.start?.({ runner: false })
      const acc = (await windows.section.account('alice')) as ImapAccount
      await acc.engine.whenSynced()
      const lock = await other.getMailboxLock('INBOX')
      try {
        const seed5 = (await other.search({ subject: 'Seed 5' }, { uid: true })) as number[]
        const seed6 = (await other.search({ subject: 'Seed 6' }, { uid: true })) as number[]
        await other.messageFlagsAdd(seed5, ['\\Answered'], { uid: true })
        await other.messageDelete(seed6, { uid: true })
      } finally {
        lock.release()
      }
      await acc.engine.syncMailbox('INBOX')
      const list = await windows.section.handlers['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 200 })
      expect(list.find((m) => m.subject === 'Seed 5')?.answered).toBe(true)
      expect(list.some((m) => m.subject === 'Seed 6')).toBe(false)
      const status = await other.status('INBOX', { messages: true })
      expect(list).toHaveLength(status === false ? -1 : (status.messages ?? -1))
    } finally {
      await windows.close()
    }
  })

  it('search: local FTS at once (fields, flags, body text after reading), server SEARCH for the rest', async () => {
    const q = (query: string, scope: 'local' | 'server' = 'local') => h()['mail.search']({ accountId: 'alice', mailbox: 'INBOX', query, scope, limit: 50 })
    expect((await q('subject:"Seed 12"')).messages.map((m) => m.subject)).toContain('Seed 12')
    expect((await q('from:carol is:unread')).messages.length).toBeGreaterThan(10)
    expect((await q('has:attachment')).messages.map((m) => m.subject)).toEqual(['Report with attachment'])
    // Body text is indexed once the body was fetched; before that only the server knows it.
    expect((await q('quarterly')).messages).toHaveLength(0)
    const server = await q('quarterly', 'server')
    expect(server).toMatchObject({ scope: 'server', messages: [{ subject: 'Seed 7' }] })
    await h()['mail.read']({ accountId: 'alice', mailbox: 'INBOX', uid: server.messages[0]?.uid as number })
    expect((await q('quarterly budget')).messages.map((m) => m.subject)).toEqual(['Seed 7'])
    expect((await q('"unterminated NEAR( OR')).messages).toEqual([])
  })

  it('reads a body on demand, caches it, and saves an attachment by streaming without overwriting', async () => {
    const [found] = (await h()['mail.search']({ accountId: 'alice', mailbox: 'INBOX', query: 'subject:report', scope: 'local', limit: 5 })).messages
    const view = await h()['mail.read']({ accountId: 'alice', mailbox: 'INBOX', uid: found?.uid as number })
    expect(view.text).toContain('The report is attached.')
    expect(view.attachments).toMatchObject([{ id: '0', filename: 'report.bin', size: attachment.length }])
    const first = await h()['mail.attachment.save']({ accountId: 'alice', mailbox: 'INBOX', uid: view.uid, attachmentId: '0' })
    expect(first).toEqual({ path: join(world.home, 'Downloads', 'report.bin'), size: attachment.length })
    expect((await readFile(first.path)).equals(attachment)).toBe(true)
    const second = await h()['mail.attachment.save']({ accountId: 'alice', mailbox: 'INBOX', uid: view.uid, attachmentId: '0' })
    expect(second.path).toBe(join(world.home, 'Downloads', 'report (1).bin'))
    await expect(h()['mail.attachment.save']({ accountId: 'alice', mailbox: 'INBOX', uid: view.uid, attachmentId: '9' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const opened = await h()['mail.attachment.open']({ accountId: 'alice', mailbox: 'INBOX', uid: view.uid, attachmentId: '0' })
    expect(opened.opened).toBe(false)
    expect((await readFile(opened.path)).length).toBe(attachment.length)
  })

  describe('malformed messages', () => {
    it.each(MALFORMED.map((raw, i) => [i, raw]))('#%i is listed and opens without throwing', async (index) => {
      const list = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 500 })
      const malformedUids = list.filter((m) => !/^(Seed|Report|Pushed|Appended)/.test(m.subject)).map((m) => m.uid).sort((a, b) => a - b)
      expect(malformedUids).toHaveLength(MALFORMED.length)
      const view = await h()['mail.read']({ accountId: 'alice', mailbox: 'INBOX', uid: malformedUids[index as number] as number })
      expect(typeof view.text).toBe('string')
    })
  })

  it('remote content: allowing a sender is remembered and shown on their messages', async () => {
    const [seed] = (await h()['mail.search']({ accountId: 'alice', mailbox: 'INBOX', query: 'subject:"Seed 9"', scope: 'local', limit: 1 })).messages
    expect((await h()['mail.read']({ accountId: 'alice', mailbox: 'INBOX', uid: seed?.uid as number })).remoteContentAllowed).toBe(false)
    await h()['mail.allowRemoteContent']({ sender: 'Carol@remote.test' })
    expect((await h()['mail.read']({ accountId: 'alice', mailbox: 'INBOX', uid: seed?.uid as number })).remoteContentAllowed).toBe(true)
    expect(JSON.parse(await readFile(join(world.home, 'etc', 'remote-content.json'), 'utf8'))).toEqual({ senders: ['carol@remote.test'] })
  })

  it('syncAccount() (scripts, bench): syncs every folder and resolves; a refused login rejects', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'mailroom-syncacct-'))
    try {
      const imap = { host: dovecot.address, port: dovecot.imapPort, security: 'none' as const, user: 'alice', password: 'secret' }
      const result = await syncAccount({ account: { id: 'alice', email: 'alice@imap.test', imap }, cacheDir, log: memoryLogger() })
      const status = await other.status('INBOX', { messages: true })
      expect(result.folders).toBe(4)
      expect(result.messages).toBe(status === false ? -1 : status.messages)
      await expect(syncAccount({ account: { id: 'bad', email: 'alice@imap.test', imap: { ...imap, password: 'wrong' } }, cacheDir, log: memoryLogger() }))
        .rejects.toThrow(/refused the login/)
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  })
})
