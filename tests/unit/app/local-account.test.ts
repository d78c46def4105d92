// The Local account in the handlers: listed after the IMAP accounts, and mail.list/mail.read routed to the Maildir reader.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../src/main/app/container'
import type { SectionContext } from '../../../src/main/app/section'
import { createAccountsSection } from '../../../src/main/app/section-accounts'
import type { Deliverer } from '../../../src/main/delivery/types'

function handlers(accounts: Array<{ id: string; email: string; name?: string }>) {
  const context = { mode: 'browser', config: { hostname: 'box.test', accounts } } as unknown as SectionContext
  return { h: createAccountsSection(context).handlers }
}

describe('the Local account', () => {
  it('is the only account without IMAP accounts, and comes after them otherwise', async () => {
    const me = `${userInfo().username}@box.test`
    expect(await handlers([]).h['accounts.list']({})).toEqual([{ id: 'local', email: me, name: 'Local' }])
    expect(await handlers([{ id: 'work', email: 'me@work.test' }]).h['accounts.list']({})).toEqual([
      { id: 'work', email: 'me@work.test' },
      { id: 'local', email: me, name: 'Local' }
    ])
  })
})

describe('the Local account through the app container', () => {
  it('shows the bounce the notifier wrote into the local Maildir, with its report', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mailroom-local-account-'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'box.test' }))
    const refusing: Deliverer = {
      deliver: async (request) => request.recipients.map((recipient) => ({
        recipient, status: 'failed' as const, reply: { code: 550, enhanced: '5.1.1', text: 'no such user', host: 'mx.remote.test[192.0.2.1]:25' }
      })),
      close: async () => {}
    }
    const app = await createApp({ mode: 'cli', home, deliverer: refusing })
    try {
      expect(await app.queue.becomeRunner()).toBe(true)
      const me = `${userInfo().username.toLowerCase()}@box.test`
      const data = Buffer.from(`From: ${me}\r\nTo: gone@remote.test, bob@remote.test\r\nSubject: Quarterly report\r\n\r\nHello\r\n`)
      await app.queue.submit({ data, sender: me, origin: 'cli', messageId: '<q1@box.test>', subject: 'Quarterly report', recipients: [{ address: 'gone@remote.test' }] })
      await app.queue.flush()
      const list = await app.dispatch('mail.list', { accountId: 'local' })
      expect(list.ok).toBe(true)
      const [bounce] = list.ok ? (list.value as Array<{ uid: number; subject: string }>) : []
      expect(bounce?.uid).toBeGreaterThan(0)
      const read = await app.dispatch('mail.read', { accountId: 'local', uid: bounce?.uid ?? 0 })
      expect(read).toMatchObject({
        ok: true,
        value: { report: { kind: 'failure', recipients: [{ address: 'gone@remote.test', action: 'failed', status: '5.1.1' }], original: { subject: 'Quarterly report', to: ['gone@remote.test', 'bob@remote.test'] } } }
      })
      expect(await app.dispatch('mail.read', { accountId: 'local', uid: 999 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    } finally {
      await app.close()
      await rm(home, { recursive: true, force: true })
    }
  })
})
