// config.json: defaults when missing, and an invalid file refused with the key and the reason.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/main/config/load'
import { AppError } from '../../../src/shared/result'

async function withConfig(text: string | null) {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-config-'))
  const file = join(dir, 'config.json')
  if (text !== null) await writeFile(file, text)
  return loadConfig(file)
}

async function failure(text: string): Promise<AppError> {
  try {
    await withConfig(text)
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the config to be refused')
}

describe('loadConfig', () => {
  it('uses defaults when there is no file', async () => {
    const config = await withConfig(null)
    expect(config.accounts).toEqual([])
    expect(config.dns).toEqual({ servers: [], allowLoopback: false, addressOrder: 'ipv4-first' })
    expect(config.hostname.length).toBeGreaterThan(0)
  })

  it('accepts the documented example', async () => {
    const config = await withConfig(JSON.stringify({
      hostname: 'mailroom.test',
      dns: { servers: ['127.0.0.1:5353'], allowLoopback: true },
      accounts: [{ id: 'work', email: 'alice@imap.test', imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice', password: 'secret' } }]
    }))
    expect(config.accounts[0]?.imap.security).toBe('none')
    expect(config.dns.servers).toEqual(['127.0.0.1:5353'])
  })

  it.each([
    ['{"hostname": 5}', 'hostname:'],
    ['{"dns": {"servers": ["not-an-ip"]}}', 'dns.servers.0: not an IP address'],
    ['{"accounts": [{"id": "w", "email": "nope", "imap": {"host": "h", "port": 143, "user": "u"}}]}', 'accounts.0.email: not a valid email address'],
    ['{"accounts": [{"id": "w", "email": "a@b.test", "imap": {"host": "h", "port": 70000, "user": "u"}}]}', 'accounts.0.imap.port'],
    ['{"hostnmae": "typo.test"}', 'hostnmae'],
    ['{"accounts": [{"id": "w", "email": "a@b.test", "imap": {"host": "h", "port": 1, "user": "u"}}, {"id": "w", "email": "c@b.test", "imap": {"host": "h", "port": 1, "user": "u"}}]}', 'accounts.1.id: duplicate account id'],
    ['{"hostname": "mail.test",}', 'not valid JSON']
  ])('refuses %s naming %s', async (text, expected) => {
    const error = await failure(text)
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain(expected)
  })
})
