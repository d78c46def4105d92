// Drafts: kept locally at once (atomic files), copied to the server replacing the previous copy, pending while the
// server cannot be reached and retried on the next save or start, deletions carried to the server.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { defaultSecretStore } from '../../../src/main/accounts/secrets'
import type { AccountConfig } from '../../../src/main/config/schema'
import type { DraftServer } from '../../../src/main/drafts/imap-drafts'
import { DraftService, type DraftInput } from '../../../src/main/drafts/service'
import type { DraftRecord, ServerCopy } from '../../../src/main/drafts/store'
import { memoryLogger } from '../../../src/main/log/logger'
import { tempDir } from '../queue/helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function fakeServer(): DraftServer & { copies: Map<number, string>; down: boolean; calls: string[]; passwords: string[] } {
  let uid = 0
  const server = {
    copies: new Map<number, string>(),
    down: false,
    calls: [] as string[],
    passwords: [] as string[],
    async upload(account: AccountConfig, record: DraftRecord, messageId: string): Promise<ServerCopy> {
      server.calls.push(`upload ${record.subject}`)
      server.passwords.push(account.imap.password ?? '')
      if (server.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'IMAP_CONNECT' })
      uid += 1
      server.copies.set(uid, record.subject)
      if (record.server?.uid != null) server.copies.delete(record.server.uid)
      return { mailbox: 'Drafts', uid, uidValidity: '1', messageId }
    },
    async remove(_account: AccountConfig, copy: ServerCopy): Promise<void> {
      server.calls.push(`remove ${copy.uid}`)
      if (server.down) throw new Error('connect ECONNREFUSED')
      if (copy.uid !== null) server.copies.delete(copy.uid)
    }
  }
  return server
}

const input = (over: Partial<DraftInput> = {}): DraftInput => ({
  accountId: 'work', from: 'me@work.test', to: ['bob@remote.test'], cc: [], bcc: [], subject: 'v1', text: 'hello',
  inReplyTo: null, references: [], ...over
})

async function setup() {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const secrets = defaultSecretStore(dir)
  await secrets.set('work', 'pw')
  const server = fakeServer()
  const config = { hostname: 'box.test', accounts: [{ id: 'work', email: 'me@work.test', imap: { host: 'h', port: 993, security: 'tls' as const, user: 'me' } }] }
  let now = 1_000
  const make = () => new DraftService({ dir: join(dir, 'drafts'), config, secrets, log: memoryLogger(), now: () => (now += 1000), server })
  return { dir, server, make, service: make() }
}

describe('drafts', () => {
  it('are saved locally at once and copied to the server, the second save replacing the first copy', async () => {
    const { dir, server, service } = await setup()
    const first = await service.save(input())
    expect(first.id).toMatch(/^d[a-z0-9]+$/)
    await service.idle()
    expect([...server.copies.values()]).toEqual(['v1'])
    expect(server.passwords).toEqual(['pw']) // the password came from the secret store
    await service.save(input({ id: first.id, subject: 'v2' }))
    await service.idle()
    expect([...server.copies.values()]).toEqual(['v2'])
    const record = JSON.parse(await readFile(join(dir, 'drafts', `${first.id}.json`), 'utf8'))
    expect(record).toMatchObject({ subject: 'v2', pending: false, server: { mailbox: 'Drafts', uid: 2 } })
    expect(await readdir(join(dir, 'drafts'))).toEqual([`${first.id}.json`])
    expect((await service.list()).map((d) => d.subject)).toEqual(['v2'])
  })

  it('stay pending while the server is down and are copied on the next start', async () => {
    const { server, service, make } = await setup()
    server.down = true
    const draft = await service.save(input({ subject: 'offline' }))
    await service.idle()
    expect(server.copies.size).toBe(0)
    expect((await service.list())[0]?.subject).toBe('offline') // nothing lost locally
    server.down = false
    const restarted = make()
    restarted.start()
    await restarted.idle()
    expect([...server.copies.values()]).toEqual(['offline'])
    expect(await restarted.delete(draft.id)).toBe(true)
    await restarted.idle()
    expect(server.copies.size).toBe(0)
    expect(await restarted.list()).toEqual([])
  })

  it('deleted while offline disappear from the list at once and from the server later', async () => {
    const { server, service, make } = await setup()
    const draft = await service.save(input())
    await service.idle()
    server.down = true
    await service.delete(draft.id)
    await service.idle()
    expect(await service.list()).toEqual([])
    expect(server.copies.size).toBe(1)
    server.down = false
    const restarted = make()
    restarted.start()
    await restarted.idle()
    expect(server.copies.size).toBe(0)
  })

  it('of the Local account stay local only', async () => {
    const { server, service } = await setup()
    const draft = await service.save(input({ accountId: 'local' }))
    await service.idle()
    expect(server.calls).toEqual([])
    expect(await service.delete(draft.id)).toBe(true)
    expect(await service.delete(draft.id)).toBe(false)
  })

  it('refuse ids that are not plain names (no path tricks) and skip unreadable files', async () => {
    const { dir, service } = await setup()
    await expect(service.save(input({ id: '../../config' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await service.save(input({ id: 'good' }))
    await service.idle()
    await writeFile(join(dir, 'drafts', 'broken.json'), '{')
    expect((await service.list()).map((d) => d.id)).toEqual(['good'])
  })
})
