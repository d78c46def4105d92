// The rules section's out-of-office upload against a real Dovecot ManageSieve: the saved rule goes up as an active Sieve
// script that Dovecot accepts; a refused login is a clear SIEVE_AUTH and changes nothing locally.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRulesSection } from '../../../src/main/app/section-rules'
import type { SectionContext } from '../../../src/main/app/section'
import { parseConfig } from '../../../src/main/config/load'
import { pathsFor } from '../../../src/main/config/paths'
import { createDispatcher, type Handlers } from '../../../src/main/ipc/dispatch'
import { localDomainsFrom } from '../../../src/main/local/domains'
import type { Logger } from '../../../src/main/log/logger'
import { stopAll } from '../../support/cleanup'
import { startDovecot, type DovecotInstance } from '../../support/dovecot'
import { describeWithServers } from '../../support/requirements'

const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } as unknown as Logger

describeWithServers('out-of-office upload to ManageSieve', ['root', 'dovecot'], () => {
  let dovecot: DovecotInstance
  let root: string

  beforeAll(async () => {
    dovecot = await startDovecot()
    root = await mkdtemp(join(tmpdir(), 'mailroom-vacation-upload-'))
    await mkdir(join(root, 'alice'), { mode: 0o755 })
  })
  afterAll(async () => {
    await dovecot?.stop()
    await stopAll()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  function dispatcher(password: string) {
    const config = parseConfig({
      hostname: 'mailroom.test',
      accounts: [{
        id: 'work', email: 'alice@imap.test',
        imap: { host: '127.0.0.1', port: dovecot.imapPort, security: 'none', user: 'alice', password },
        sieve: { host: '127.0.0.1', port: dovecot.sievePort, security: 'none' }
      }]
    })
    const context = { mode: 'browser', config, paths: pathsFor(join(root, 'home')), log, localDomains: localDomainsFrom(['mailroom.test']) } as unknown as SectionContext
    const section = createRulesSection(context, { system: { name: 'alice', home: join(root, 'alice'), uid: process.getuid?.() ?? 0 } })
    return createDispatcher(section.handlers as unknown as Handlers, log)
  }

  const rule = { subject: 'Away', body: 'Back on Monday.', days: 3, addresses: [], startsAt: null, endsAt: null }

  it('uploads the saved rule as the active script', async () => {
    const dispatch = dispatcher('secret')
    expect(await dispatch('vacation.save', { user: 'alice', rule, enable: true })).toMatchObject({ ok: true, value: { enabled: true } })
    const uploaded = await dispatch('vacation.upload', { user: 'alice', accountId: 'work' })
    expect(uploaded).toMatchObject({ ok: true, value: { scriptName: 'mailroom-vacation', active: true } })
    expect(uploaded.ok && (uploaded.value as { server: string }).server).toContain(`127.0.0.1:${dovecot.sievePort}`)
  })

  it('says when the server refuses the login, and keeps the local rule', async () => {
    const dispatch = dispatcher('wrong')
    const refused = await dispatch('vacation.upload', { user: 'alice', accountId: 'work' })
    expect(refused).toMatchObject({ ok: false, error: { code: 'SIEVE_AUTH' } })
    expect(JSON.parse(await readFile(join(root, 'home', 'etc', 'vacation', 'alice.json'), 'utf8'))).toMatchObject({ body: 'Back on Monday.', enabled: true })
    expect(await readFile(join(root, 'alice', '.forward'), 'utf8')).toBe('\\alice, "|mailroom vacation alice"\n')
  })
})
