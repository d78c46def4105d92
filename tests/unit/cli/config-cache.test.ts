// The submit path's config cache: validated once per config.json content, never accepts what zod refuses.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CONFIG_CACHE_FILE, loadSubmitConfig } from '../../../src/main/cli/config-cache'
import { pathsFor, type Paths } from '../../../src/main/config/paths'

describe('loadSubmitConfig', () => {
  let home: string
  let paths: Paths
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'mailroom-cfgcache-'))
    paths = pathsFor(home)
  })
  afterEach(() => rm(home, { recursive: true, force: true }))

  const cache = async (): Promise<Record<string, unknown> | null> =>
    JSON.parse(await readFile(join(paths.run, CONFIG_CACHE_FILE), 'utf8').catch(() => 'null')) as Record<string, unknown> | null

  it('uses the defaults without config.json, and the machine name as hostname', async () => {
    const config = await loadSubmitConfig(paths)
    expect(config.hostname).toBe(hostname())
    expect(config.queue.maxMessages).toBe(100_000)
    expect((await cache())?.key).toBe('absent')
  })

  it('validates config.json the first time, then answers from the cache while the file is unchanged', async () => {
    await writeFile(paths.config, JSON.stringify({ hostname: 'mailroom.test', localDomains: ['lan.test'], queue: { maxBytes: '10M' } }))
    const first = await loadSubmitConfig(paths)
    expect(first).toEqual({ hostname: 'mailroom.test', localDomains: ['lan.test'], queue: { maxMessages: 100_000, maxBytes: 10 * 1024 * 1024, minFreeDisk: 100 * 1024 * 1024 } })
    // A forged cache entry for the same content is what the next run reads: proof that the cache is used.
    const entry = (await cache()) as Record<string, unknown>
    await writeFile(join(paths.run, CONFIG_CACHE_FILE), JSON.stringify({ ...entry, hostname: 'from-cache.test' }))
    expect((await loadSubmitConfig(paths)).hostname).toBe('from-cache.test')
  })

  it('refuses an invalid config.json every time (exit 78 code), naming the key, and never caches it', async () => {
    await writeFile(paths.config, JSON.stringify({ hostname: 'mailroom.test' }))
    await loadSubmitConfig(paths)
    await writeFile(paths.config, JSON.stringify({ dns: { servers: ['bogus'] } }))
    await expect(loadSubmitConfig(paths)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('dns.servers.0') as unknown })
    await expect(loadSubmitConfig(paths)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await writeFile(paths.config, '{ not json')
    await expect(loadSubmitConfig(paths)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('is not valid JSON') as unknown })
    await writeFile(paths.config, JSON.stringify({ queue: { lifetime: 'forever' } }))
    await expect(loadSubmitConfig(paths)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('queue.lifetime') as unknown })
  })

  it('ignores a damaged or foreign cache file and validates again', async () => {
    await writeFile(paths.config, JSON.stringify({ hostname: 'mailroom.test' }))
    await loadSubmitConfig(paths)
    await writeFile(join(paths.run, CONFIG_CACHE_FILE), '{"key": 1')
    expect((await loadSubmitConfig(paths)).hostname).toBe('mailroom.test')
    const entry = (await cache()) as Record<string, unknown>
    await writeFile(join(paths.run, CONFIG_CACHE_FILE), JSON.stringify({ ...entry, program: 'another build', hostname: 'stale.test' }))
    expect((await loadSubmitConfig(paths)).hostname).toBe('mailroom.test')
  })
})
