// Offline changes against a real Dovecot: flags, move and delete done while the server is out of reach are shown at
// once, marked pending, and replayed in order when it comes back; a message changed on the server meanwhile keeps
// the server's flags; a killed and restarted Dovecot is reconnected to with backoff and pushes new mail again.
import type { ImapFlow } from 'imapflow'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ImapAccount } from '../../../src/main/imap/imap-account'
import { killDovecot, restartDovecot } from '../../support/dovecot-control'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { describeWithServers } from '../../support/requirements'
import { startNetSwitch, type NetSwitch } from './net-switch'
import { addSpecialUseFolders, otherDevice, plainMessage, readingWorld, until, type ReadingWorld } from './world'

describeWithServers('reading: offline changes, replay and reconnect against Dovecot', ['dovecot', 'root'], () => {
  let dovecot: DovecotInstance
  let net: NetSwitch
  let world: ReadingWorld
  let other: ImapFlow

  beforeAll(async () => {
    dovecot = await startDovecot()
    await addSpecialUseFolders(dovecot)
    for (const subject of ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo']) await dovecot.deliver('alice', plainMessage(subject))
    net = await startNetSwitch({ host: dovecot.address, port: dovecot.imapPort })
    world = await readingWorld({ host: '127.0.0.1', port: net.port })
    await world.section.start?.({ runner: false })
    await ((await world.section.account('alice')) as ImapAccount).engine.whenSynced()
  }, 90_000)

  afterAll(async () => {
    await world?.close()
    await other?.logout().catch(() => undefined)
    await net?.close()
    await dovecot?.stop()
  })

  const h = () => world.section.handlers
  const uidOf = async (subject: string, mailbox = 'INBOX'): Promise<number> => {
    const list = await h()['mail.list']({ accountId: 'alice', mailbox, offset: 0, limit: 100 })
    const found = list.find((m) => m.subject === subject)
    if (found === undefined) throw new Error(`${subject} is not in ${mailbox}: ${list.map((m) => m.subject).join(', ')}`)
    return found.uid
  }
  const serverFlags = async (subject: string): Promise<string[]> => {
    const lock = await other.getMailboxLock('INBOX')
    try {
      const uids = (await other.search({ subject }, { uid: true })) as number[]
      const msg = await other.fetchOne(String(uids[0]), { flags: true }, { uid: true })
      return msg === false ? [] : [...(msg.flags ?? [])].sort()
    } finally {
      lock.release()
    }
  }
  const serverSubjects = async (mailbox: string): Promise<string[]> => {
    const lock = await other.getMailboxLock(mailbox)
    try {
      const out: string[] = []
      if (other.mailbox !== false && other.mailbox.exists > 0) for await (const m of other.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '')
      return out.sort()
    } finally {
      lock.release()
    }
  }

  it('changes made offline are shown at once, pending, then replayed in order; the server\'s change wins a conflict', async () => {
    const [alpha, bravo, charlie, delta] = [await uidOf('Alpha'), await uidOf('Bravo'), await uidOf('Charlie'), await uidOf('Delta')]
    const offline = world.nextEvent('account.status', (p) => p.state === 'offline')
    net.offline()
    await offline

    expect(await h()['mail.setFlags']({ accountId: 'alice', mailbox: 'INBOX', uids: [alpha], add: ['\\Seen'], remove: [] })).toEqual({ pending: true })
    expect(await h()['mail.move']({ accountId: 'alice', mailbox: 'INBOX', uids: [bravo], target: 'Archive' })).toEqual({ pending: true })
    expect(await h()['mail.delete']({ accountId: 'alice', mailbox: 'INBOX', uids: [charlie] })).toEqual({ pending: true })
    // Conflict: we flag Delta offline, another device marks it answered on the server meanwhile.
    expect(await h()['mail.setFlags']({ accountId: 'alice', mailbox: 'INBOX', uids: [delta], add: ['\\Flagged'], remove: [] })).toEqual({ pending: true })
    // An op on Alpha again, after the move: order matters (unseen again, then flagged).
    expect(await h()['mail.setFlags']({ accountId: 'alice', mailbox: 'INBOX', uids: [alpha], add: ['\\Flagged'], remove: ['\\Seen'] })).toEqual({ pending: true })

    const local = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 100 })
    expect(local.map((m) => m.subject).sort()).toEqual(['Alpha', 'Delta', 'Echo'])
    expect(local.find((m) => m.subject === 'Alpha')).toMatchObject({ seen: false, flagged: true })
    expect(local.find((m) => m.subject === 'Delta')).toMatchObject({ flagged: true })
    expect(world.events.filter((e) => e.name === 'account.status').at(-1)?.payload).toMatchObject({ pendingChanges: 5 })

    other = await otherDevice(dovecot)
    const lock = await other.getMailboxLock('INBOX')
    try {
      await other.messageFlagsAdd(String(delta), ['\\Answered'], { uid: true })
    } finally {
      lock.release()
    }

    const drained = world.nextEvent('account.status', (p) => p.state === 'online' && p.pendingChanges === 0, 20_000)
    net.online()
    await drained
    const account = (await world.section.account('alice')) as ImapAccount
    await until('the outbox to drain', () => account.outbox.count() === 0)

    expect(await serverFlags('Alpha')).toEqual(['\\Flagged'])
    expect(await serverSubjects('Archive')).toEqual(['Bravo'])
    expect(await serverSubjects('Trash')).toEqual(['Charlie'])
    expect(await serverSubjects('INBOX')).toEqual(['Alpha', 'Delta', 'Echo'])
    // The server's state won for Delta: answered (theirs), not flagged (ours, refused by UNCHANGEDSINCE).
    expect(await serverFlags('Delta')).toEqual(['\\Answered'])
    const after = await until('Delta to show the server\'s flags', async () => {
      const l = await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 100 })
      return l.find((m) => m.subject === 'Delta')?.answered === true ? l : null
    })
    expect(after.find((m) => m.subject === 'Delta')).toMatchObject({ flagged: false, answered: true })
    expect((await h()['mail.list']({ accountId: 'alice', mailbox: 'Archive', offset: 0, limit: 10 })).map((m) => m.subject)).toEqual(['Bravo'])
  })

  it('an operation on a message deleted on the server meanwhile is dropped, later ones still apply', async () => {
    const echo = await uidOf('Echo')
    const alpha = await uidOf('Alpha')
    net.offline()
    await until('offline', async () => ((await world.section.account('alice')) as ImapAccount).engine.session.current === null)
    await h()['mail.setFlags']({ accountId: 'alice', mailbox: 'INBOX', uids: [echo], add: ['\\Flagged'], remove: [] })
    await h()['mail.setFlags']({ accountId: 'alice', mailbox: 'INBOX', uids: [alpha], add: ['\\Seen'], remove: [] })
    const lock = await other.getMailboxLock('INBOX')
    try {
      await other.messageDelete(String(echo), { uid: true })
    } finally {
      lock.release()
    }
    net.online()
    const account = (await world.section.account('alice')) as ImapAccount
    await until('the outbox to drain', () => account.outbox.count() === 0, 20_000)
    expect(await serverFlags('Alpha')).toEqual(['\\Flagged', '\\Seen'])
    expect(world.log.lines.some((l) => l.includes('dropped: the messages are gone'))).toBe(true)
    await until('Echo to leave the cache', async () => !(await h()['mail.list']({ accountId: 'alice', mailbox: 'INBOX', offset: 0, limit: 100 })).some((m) => m.subject === 'Echo'))
  })

  it('reconnects after Dovecot is killed and restarted, and IDLE pushes new mail again', async () => {
    const offline = world.nextEvent('account.status', (p) => p.state === 'offline')
    await killDovecot(dovecot)
    await offline
    const online = world.nextEvent('account.status', (p) => p.state === 'online', 20_000)
    await restartDovecot(dovecot)
    await online
    const pushed = world.nextEvent('mail.newMail', (p) => (p.messages as { subject: string }[]).some((m) => m.subject === 'After the restart'), 20_000)
    await dovecot.deliver('alice', plainMessage('After the restart'))
    await pushed
    await other.logout().catch(() => undefined)
  })
})
