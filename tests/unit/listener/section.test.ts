// The listener section: started only in the queue-runner process with listener.enabled; a port in use is logged, not fatal.
import { createServer } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createListenerSection } from '../../../src/main/app/section-listener'
import type { SectionContext } from '../../../src/main/app/section'
import { configSchema } from '../../../src/main/config/schema'
import { pathsFor } from '../../../src/main/config/paths'
import { localDomainsFrom } from '../../../src/main/local/domains'
import { memoryLogger } from '../../../src/main/log/logger'
import { freePort } from '../../support/ports'
import { SmtpTalk } from '../../support/smtp-talk'

async function context(listener: Record<string, unknown>): Promise<{ ctx: SectionContext; log: ReturnType<typeof memoryLogger>; cleanup(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'mailroom-section-'))
  const log = memoryLogger()
  const config = configSchema.parse({ hostname: 'mailroom.test', listener })
  const ctx = {
    mode: 'daemon', paths: pathsFor(home), config, log, clock: { now: () => Date.now(), setTimeout: () => ({ cancel: () => undefined }) },
    localDomains: localDomainsFrom(['mailroom.test']), queue: { submit: async () => ({ id: 'X', notBefore: null }) }
  } as unknown as SectionContext
  return { ctx, log, cleanup: () => rm(home, { recursive: true, force: true }) }
}

describe('listener section', () => {
  it('listens only when this process runs the queue and listener.enabled is true; close() stops it', async () => {
    const port = await freePort()
    const { ctx, cleanup } = await context({ port, hosts: ['127.0.0.1'] })
    const section = createListenerSection(ctx)
    await section.start?.({ runner: false })
    expect(section.addresses()).toEqual([])
    await section.start?.({ runner: true })
    expect(section.addresses()).toEqual([{ host: '127.0.0.1', port }])
    const t = await SmtpTalk.open(port)
    expect((await t.read())?.text).toMatch(/^220 mailroom\.test ESMTP/)
    t.close()
    await section.close?.()
    await expect(SmtpTalk.open(port)).rejects.toThrow(/ECONNREFUSED/)
    await cleanup()
    const off = await context({ port, hosts: ['127.0.0.1'], enabled: false })
    const disabled = createListenerSection(off.ctx)
    await disabled.start?.({ runner: true })
    expect(disabled.addresses()).toEqual([])
    await off.cleanup()
  })

  it('logs a port in use as an error and lets the app run on without the listener', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const { ctx, log, cleanup } = await context({ port, hosts: ['127.0.0.1'] })
    const section = createListenerSection(ctx)
    await section.start?.({ runner: true })
    expect(section.addresses()).toEqual([])
    expect(log.lines.join('\n')).toMatch(/the SMTP listener cannot start: 127\.0\.0\.1:\d+: the port is already in use; mail can still be sent/)
    await section.close?.()
    await new Promise((resolve) => blocker.close(resolve))
    await cleanup()
  })
})
