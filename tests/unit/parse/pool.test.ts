// The parse worker pool with the real worker code (built by rolldown): results, the torture corpus, hangs and crashes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMessageParser } from '../../../src/main/parse/index'
import { writeTortureCorpus } from './mime-torture'
import { buildParseWorker, type BuiltWorker } from './build-worker'

let dir: string
let corpus: Record<string, string>
let built: BuiltWorker
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-pool-'))
  corpus = await writeTortureCorpus(join(dir, 'torture'))
  built = await buildParseWorker()
}, 60_000)
afterAll(async () => {
  await built?.cleanup()
  await rm(dir, { recursive: true, force: true })
})

/** A worker that never answers (busy loop) or dies at once, for the first `bad` spawns; real workers after that. */
function flaky(kind: 'hang' | 'exit' | 'throw', bad = 1): { spawn: (o: WorkerOptions) => Worker; spawned: () => number } {
  let count = 0
  const code = {
    hang: "const p = require('node:worker_threads').parentPort; p.postMessage('ready'); p.on('message', () => { for (;;) {} })",
    exit: "const p = require('node:worker_threads').parentPort; p.postMessage('ready'); p.on('message', () => process.exit(3))",
    throw: "const p = require('node:worker_threads').parentPort; p.postMessage('ready'); p.on('message', () => { throw new Error('boom in worker') })"
  }[kind]
  return {
    spawn: (options) => (count++ < bad ? new Worker(code, { ...options, eval: true }) : built.spawn(options)),
    spawned: () => count
  }
}

describe('createMessageParser', () => {
  it('parses in a worker and returns the same view as in-thread parsing', async () => {
    const parser = createMessageParser({ spawn: built.spawn })
    try {
      const m = await parser.parse(corpus['plain.eml'] as string)
      expect(m).toMatchObject({ subject: 'Grüße', from: 'Alice <alice@example.org>', preview: 'Hello Bob, how are you?' })
      const several = await Promise.all(['inline-image.eml', 'plain.eml', 'broken-base64.eml'].map((n) => parser.parse(corpus[n] as string)))
      expect(several.map((s) => s.subject)).toEqual(['pic', 'Grüße', 'b64'])
    } finally {
      await parser.close()
    }
  })

  it('parses every message of the torture corpus within the timeout or fails with PARSE_FAILED, and never takes the process down', async () => {
    const parser = createMessageParser({ spawn: built.spawn, workers: 2, timeoutMs: 15_000 })
    try {
      for (const [name, path] of Object.entries(corpus)) {
        const started = Date.now()
        const outcome = await parser.parse(path).then((m) => ({ ok: true as const, m }), (e: { code: string }) => ({ ok: false as const, code: e.code }))
        if (!outcome.ok) expect(outcome.code, name).toBe('PARSE_FAILED')
        expect(Date.now() - started, name).toBeLessThan(15_000)
      }
    } finally {
      await parser.close()
    }
  }, 180_000)

  it('kills a worker that hangs after the timeout, fails that call with PARSE_FAILED, and parses the next one with a new worker', async () => {
    const bad = flaky('hang')
    const parser = createMessageParser({ spawn: bad.spawn, workers: 1, timeoutMs: 1_000 })
    try {
      const started = Date.now()
      await expect(parser.parse(corpus['plain.eml'] as string)).rejects.toMatchObject({ code: 'PARSE_FAILED', message: expect.stringMatching(/^parsing .* took longer than 1000 ms/) })
      expect(Date.now() - started).toBeLessThan(4_000)
      expect((await parser.parse(corpus['plain.eml'] as string)).subject).toBe('Grüße')
      expect(bad.spawned()).toBe(2)
    } finally {
      await parser.close()
    }
  })

  it('stops a worker that never gets ready (start-up counts against the timeout too)', async () => {
    const silent = (options: WorkerOptions): Worker => new Worker("setInterval(() => {}, 1000)", { ...options, eval: true })
    const parser = createMessageParser({ spawn: silent, workers: 1, timeoutMs: 300 })
    try {
      await expect(parser.parse(corpus['plain.eml'] as string)).rejects.toMatchObject({ code: 'PARSE_FAILED', message: expect.stringMatching(/^starting the parser for .* took longer than 300 ms/) })
    } finally {
      await parser.close()
    }
  })

  for (const kind of ['exit', 'throw'] as const) {
    it(`fails the call with PARSE_FAILED when the worker dies (${kind}) and replaces it`, async () => {
      const bad = flaky(kind)
      const parser = createMessageParser({ spawn: bad.spawn, workers: 1 })
      try {
        await expect(parser.parse(corpus['plain.eml'] as string)).rejects.toMatchObject({ code: 'PARSE_FAILED', message: expect.stringMatching(/parser stopped/) })
        expect((await parser.parse(corpus['plain.eml'] as string)).subject).toBe('Grüße')
      } finally {
        await parser.close()
      }
    })
  }

  it('gives the worker a heap limit: a worker that runs out of memory fails its call with PARSE_FAILED, the next one works', async () => {
    let count = 0
    const hog = "const p = require('node:worker_threads').parentPort; p.postMessage('ready'); p.on('message', () => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())) })"
    const spawn = (options: WorkerOptions): Worker => (count++ === 0 ? new Worker(hog, { ...options, eval: true }) : built.spawn(options))
    const parser = createMessageParser({ spawn, workers: 1, workerHeapMb: 32, timeoutMs: 20_000 })
    try {
      await expect(parser.parse(corpus['plain.eml'] as string)).rejects.toMatchObject({ code: 'PARSE_FAILED', message: expect.stringMatching(/memory/) })
      expect((await parser.parse(corpus['plain.eml'] as string)).subject).toBe('Grüße')
    } finally {
      await parser.close()
    }
  }, 30_000)

  it('passes NOT_FOUND through for a missing file, and refuses calls after close()', async () => {
    const parser = createMessageParser({ spawn: built.spawn })
    await expect(parser.parse(join(dir, 'missing.eml'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const pending = parser.parse(corpus['parts-100k.eml'] as string).then(() => 'parsed', (e: { code: string }) => e.code)
    await parser.close()
    expect(await pending).toBe('PARSE_FAILED')
    await expect(parser.parse(corpus['plain.eml'] as string)).rejects.toMatchObject({ code: 'PARSE_FAILED', message: expect.stringMatching(/closed/) })
  })
})
