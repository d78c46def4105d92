// Builds src/main/parse/worker.ts into one .mjs with rolldown (as the app's bundle does), so pool tests run the real worker code.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { build } from 'rolldown'

const ROOT = resolve(import.meta.dirname, '..', '..', '..')

export interface BuiltWorker {
  file: string
  spawn(options: WorkerOptions): Worker
  cleanup(): Promise<void>
}

export async function buildParseWorker(entry = 'src/main/parse/worker.ts'): Promise<BuiltWorker> {
  // Inside the project, so the worker's bare imports (mailparser, …) resolve from its node_modules.
  await mkdir(join(ROOT, 'node_modules', '.cache'), { recursive: true })
  const dir = await mkdtemp(join(ROOT, 'node_modules', '.cache', 'mailroom-parse-worker-'))
  const file = join(dir, 'worker.mjs')
  await build({
    input: join(ROOT, entry),
    platform: 'node',
    // Packages stay imports resolved from the project (as in out/main); our sources are bundled.
    external: (id) => !id.startsWith('.') && !isAbsolute(id),
    output: { file, format: 'esm' },
    write: true,
    logLevel: 'silent'
  })
  return {
    file,
    spawn: (options) => new Worker(file, options),
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}
