// Disk full and read-only spool during `mailroom sendmail`: a tiny tmpfs as the spool. Every refusal is exit 75 with a
// clear message, nothing half-written stays visible, and the messages accepted before are intact and still deliverable.
// queue.minFreeDisk is 0 here so the writes really hit ENOSPC (the commit protocol is the last line of defence); the
// limit itself (refusing before writing) has its own case at the end.
import { mkdtemp, readdir, readFile, rmdir, statfs, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { systemClock } from '../../../src/main/app/clock'
import { memoryLogger } from '../../../src/main/log/logger'
import { parseEnvelope } from '../../../src/main/queue/envelope-schema'
import { QueueService } from '../../../src/main/queue/service'
import { makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import { run } from '../../support/proc'
import { describeWithCapability } from '../../support/requirements'
import { fakeDeliverer } from '../../unit/queue/helpers'

const MAX_SUBMISSIONS = 60
const LOOP_MS = 40_000

/** Whether this process may mount a tmpfs (root, and not forbidden by a container); undefined when it may. */
async function mountProblem(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux'
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  const probe = await mkdtemp(join(tmpdir(), 'mailroom-mount-probe-'))
  try {
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])
    if (mounted.code !== 0) return `mount -t tmpfs is not permitted here: ${mounted.stderr.trim()}`
    await run('umount', [probe])
    return undefined
  } catch (error) {
    return `mount failed: ${(error as Error).message}`
  } finally {
    await rmdir(probe).catch(() => undefined)
  }
}

async function mountTmpfs(dir: string, options: string): Promise<void> {
  const result = await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir])
  if (result.code !== 0) throw new Error(`mount ${options} ${dir}: ${result.stderr}`)
}

async function remount(dir: string, options: string): Promise<void> {
  const result = await run('mount', ['-o', `remount,${options}`, dir])
  if (result.code !== 0) throw new Error(`remount ${options} ${dir}: ${result.stderr}`)
}

function message(n: number, bodyBytes: number): { text: string; messageId: string; body: string } {
  const messageId = `<disk-full-${n}@df.test>`
  const line = `${n} `.padEnd(70, 'x')
  const body = Array.from({ length: Math.max(1, Math.ceil(bodyBytes / 72)) }, () => line).join('\n') + '\n'
  return { messageId, body, text: `From: alice@example.org\nTo: bob@example.net\nSubject: disk full ${n}\nMessage-ID: ${messageId}\n\n${body}` }
}

describeWithCapability('sendmail on a full or read-only spool (tmpfs)', await mountProblem(), () => {
  let home: string
  let spool: string
  const accepted = new Map<string, string>() // Message-ID -> body (LF line ends, as submitted)

  beforeAll(async () => {
    requireBuild()
    home = await makeHome({ config: { queue: { minFreeDisk: 0 } } })
    spool = join(home, 'spool')
    const { mkdir } = await import('node:fs/promises')
    await mkdir(spool)
    await mountTmpfs(spool, 'size=256k,mode=0700')
  })

  afterAll(async () => {
    if (spool !== undefined) {
      const result = await run('umount', [spool])
      if (result.code !== 0) await run('umount', ['-l', spool])
    }
    if (home !== undefined) await removeHome(home)
  })

  /** What must hold after any refusal: no tmp files, every data file has its envelope and the other way round. */
  async function expectNothingHalfWritten(): Promise<string[]> {
    expect(await readdir(join(spool, 'tmp')), 'tmp/ after a refused submission').toEqual([])
    const data = (await readdir(join(spool, 'data'))).sort()
    const envelopes = (await readdir(join(spool, 'queued'))).map((n) => n.replace(/\.json$/, '')).sort()
    expect(envelopes, 'queued/ envelopes vs data/ files').toEqual(data)
    expect(await readdir(join(spool, 'corrupt'))).toEqual([])
    return data
  }

  /** Submits messages of `bodyBytes` until one is refused; returns the refusal. */
  async function fillUntilRefused(start: number, bodyBytes: number): Promise<{ code: number | null; stderr: string; n: number }> {
    const deadline = Date.now() + LOOP_MS
    for (let n = start; n < start + MAX_SUBMISSIONS && Date.now() < deadline; n++) {
      const m = message(n, bodyBytes)
      const result = await runCli(home, ['sendmail', '-t', '-i'], m.text)
      if (result.code === 0) {
        accepted.set(m.messageId, m.body)
        continue
      }
      return { code: result.code, stderr: result.stderr, n }
    }
    throw new Error(`the 256 kB spool never filled up after ${accepted.size} messages`)
  }

  test('disk full: exit 75 with a clear message, nothing half-written, earlier messages intact', async () => {
    // 1. Fill with 30 kB messages: refused by the free-space check or by ENOSPC itself, both exit 75.
    const big = await fillUntilRefused(0, 30_000)
    expect(big.code, big.stderr).toBe(75)
    expect(big.stderr).toMatch(/The outbox is full: only .* free on the disk|could not be written to the outbox: ENOSPC: no space left on device/)
    expect(accepted.size).toBeGreaterThan(0)
    await expectNothingHalfWritten()

    // 2. Real ENOSPC in the middle of a commit: leave exactly `free` bytes, send a message the free-space check lets
    //    through (smaller than what is free) but whose data + envelope need one page more than that.
    await remount(spool, 'size=512k')
    for (const [free, bodyBytes] of [[8192, 5000], [4096, 2000]] as const) {
      const ballast = join(spool, '.ballast')
      const fs = await statfs(spool)
      await writeFile(ballast, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - free)))
      const refused = await runCli(home, ['sendmail', '-t', '-i'], message(500 + free, bodyBytes).text)
      expect(refused.code, refused.stderr).toBe(75)
      expect(refused.stderr).toMatch(/could not be written to the outbox: ENOSPC: no space left on device/)
      await expectNothingHalfWritten()
      await unlink(ballast)
    }
    const ids = await expectNothingHalfWritten()
    expect(ids).toHaveLength(accepted.size)
    const maillog = await readFile(join(home, 'log', 'maillog'), 'utf8')
    const stages = [...maillog.matchAll(/enqueue failed while writing the (\w+)/g)].map((m) => m[1])
    expect(stages.length).toBeGreaterThanOrEqual(2)
    process.stderr.write(`disk full: ${accepted.size} accepted; ENOSPC stages: ${stages.join(', ')}\n`)

    for (const id of ids) {
      const envelope = parseEnvelope(await readFile(join(spool, 'queued', `${id}.json`)))
      const data = (await readFile(join(spool, 'data', id))).toString('utf8')
      expect(envelope.id).toBe(id)
      expect(envelope.size).toBe(Buffer.byteLength(data))
      const body = accepted.get(envelope.messageId ?? '')
      expect(body, `envelope ${id} names an unknown Message-ID ${envelope.messageId}`).toBeDefined()
      expect(data.slice(data.indexOf('\r\n\r\n') + 4)).toBe((body as string).replace(/\n/g, '\r\n'))
    }
  })

  test('read-only spool: exit 75 naming the cause, the spool unchanged', async () => {
    const before = await readdir(join(spool, 'queued'))
    await remount(spool, 'ro')
    try {
      const result = await runCli(home, ['sendmail', '-t', '-i'], message(999, 100).text)
      expect(result.code, result.stderr).toBe(75)
      expect(result.stderr).toMatch(/could not be written to the outbox: EROFS: read-only file system/)
    } finally {
      await remount(spool, 'rw')
    }
    expect(await readdir(join(spool, 'queued'))).toEqual(before)
    await expectNothingHalfWritten()
  })

  test('with the default queue.minFreeDisk a nearly full spool refuses before writing anything', async () => {
    const limited = await makeHome()
    const limitedSpool = join(limited, 'spool')
    const { mkdir } = await import('node:fs/promises')
    await mkdir(limitedSpool)
    await mountTmpfs(limitedSpool, 'size=1m,mode=0700')
    try {
      const result = await runCli(limited, ['sendmail', '-t', '-i'], message(1000, 100).text)
      expect(result.code, result.stderr).toBe(75)
      expect(result.stderr).toMatch(/minFreeDisk/)
      for (const dir of ['tmp', 'data', 'queued']) expect(await readdir(join(limitedSpool, dir)).catch(() => [])).toEqual([])
    } finally {
      await run('umount', [limitedSpool])
      await removeHome(limited)
    }
  })

  test('after space is freed the accepted messages are delivered, byte for byte', async () => {
    await remount(spool, 'size=4m')
    const deliverer = fakeDeliverer()
    const queue = await QueueService.open({ spoolDir: spool, lockFile: join(home, 'queue.lock'), deliverer, clock: systemClock, log: memoryLogger() })
    try {
      expect(await queue.becomeRunner()).toBe(true)
      const summary = await queue.flush()
      expect(summary.sent).toBe(accepted.size)
    } finally {
      await queue.close()
    }
    const delivered = new Map(deliverer.requests.map((r) => {
      const text = r.data.toString('utf8')
      return [/^Message-ID: (<[^>]+>)/im.exec(text)?.[1] ?? '', text.slice(text.indexOf('\r\n\r\n') + 4)]
    }))
    expect([...delivered.keys()].sort()).toEqual([...accepted.keys()].sort())
    for (const [messageId, body] of accepted) expect(delivered.get(messageId)).toBe(body.replace(/\n/g, '\r\n'))
    for (const dir of ['queued', 'deferred', 'hold', 'data', 'tmp', 'corrupt']) expect(await readdir(join(spool, dir))).toEqual([])
  })
})
