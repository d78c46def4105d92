// Vitest plugin: electron-vite's `./worker?nodeWorker` import (src/main/parse/spawn-worker.ts) does not exist under
// vitest; this resolves it to a function that starts that worker built from the sources with rolldown (once per run,
// removed at exit), so code that starts its own workers (the app container's mail section) runs the real worker.
import { rmSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import type { Plugin } from 'vite'
import { buildParseWorker, type BuiltWorker } from '../unit/parse/build-worker'

const SUFFIX = '?nodeWorker'
const PREFIX = '\0mailroom-node-worker:'
const ROOT = resolve(import.meta.dirname, '..', '..')

export function nodeWorkerForTests(): Plugin {
  const built = new Map<string, Promise<BuiltWorker>>()
  process.once('exit', () => {
    for (const p of built.values()) void p.then((b) => rmSync(dirname(b.file), { recursive: true, force: true }))
  })
  return {
    name: 'mailroom-node-worker-for-tests',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!source.endsWith(SUFFIX)) return null
      const target = await this.resolve(source.slice(0, -SUFFIX.length), importer, { skipSelf: true })
      return target === null ? null : `${PREFIX}${target.id}`
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null
      const entry = id.slice(PREFIX.length)
      let worker = built.get(entry)
      if (worker === undefined) {
        worker = buildParseWorker(relative(ROOT, entry))
        built.set(entry, worker)
      }
      const { file } = await worker
      return `import { Worker } from 'node:worker_threads'\nexport default (options) => new Worker(${JSON.stringify(file)}, options)\n`
    }
  }
}
