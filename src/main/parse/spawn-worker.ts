// Starts a parse worker from the bundled output: electron-vite's `?nodeWorker` import emits worker.ts as its own chunk
// (no entry in electron.vite.config.ts needed) and gives a function that creates the Worker. Tests inject their own.
/// <reference types="electron-vite/node" />
import type { Worker, WorkerOptions } from 'node:worker_threads'
import createParseWorker from './worker?nodeWorker'

export function spawnParseWorker(options: WorkerOptions): Worker {
  // Run from the sources (vitest without tests/support/node-worker-plugin.ts) the import is the worker module itself.
  if (typeof createParseWorker !== 'function') {
    throw new Error('the parse worker exists only in the built app (npx electron-vite build); tests pass `spawn` (tests/unit/parse/build-worker.ts)')
  }
  return createParseWorker(options)
}
