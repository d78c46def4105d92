// A small pool of parse workers (1–2): one message per worker at a time, a timeout per parse, and a worker that hangs,
// crashes or runs out of memory is killed and replaced while its caller gets PARSE_FAILED. The main thread never parses.
import { availableParallelism } from 'node:os'
import type { Worker, WorkerOptions } from 'node:worker_threads'
import { isErrorCode } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { PARSE_TIMEOUT_MS } from '../config/timeouts'
import type { ParsedMessage, ParseLimits } from './types'
import type { ParseRequest, ParseResponse } from './worker'

/** Same string as worker.ts's WORKER_READY (not imported: that would load the worker module here). */
const WORKER_READY = 'ready'

export interface ParsePoolOptions {
  /** Workers (1 or 2; default 2 when the machine has more than 2 cores, else 1). */
  workers?: number
  /** Per parse; default PARSE_TIMEOUT_MS. */
  timeoutMs?: number
  limits?: Partial<ParseLimits>
  /** Heap limit of a worker (MB): a message that needs more kills that worker, not the app. */
  workerHeapMb?: number
  /** Creates a worker (tests pass one built from the sources); default: the bundled worker chunk. */
  spawn?: (options: WorkerOptions) => Worker
}

interface Task {
  id: number
  path: string
  resolve(value: ParsedMessage): void
  reject(error: AppError): void
}

interface Slot {
  worker: Worker | null
  /** Resolves when the worker has loaded its modules (WORKER_READY). */
  ready: Promise<void> | null
  task: Task | null
  timer: NodeJS.Timeout | null
}

const DEFAULT_HEAP_MB = 512

function failure(message: string, path: string): AppError {
  return new AppError('PARSE_FAILED', message, { path })
}

export function createParsePool(options: ParsePoolOptions = {}) {
  const size = Math.max(1, Math.min(2, options.workers ?? (availableParallelism() > 2 ? 2 : 1)))
  const timeoutMs = options.timeoutMs ?? PARSE_TIMEOUT_MS
  const limits = options.limits ?? {}
  const slots: Slot[] = Array.from({ length: size }, () => ({ worker: null, ready: null, task: null, timer: null }))
  const waiting: Task[] = []
  let nextId = 1
  let closed = false
  let spawner: Promise<(o: WorkerOptions) => Worker> | null = null

  const getSpawner = (): Promise<(o: WorkerOptions) => Worker> =>
    (spawner ??= options.spawn !== undefined ? Promise.resolve(options.spawn) : import('./spawn-worker').then((m) => m.spawnParseWorker))

  function finish(slot: Slot): Task | null {
    const task = slot.task
    slot.task = null
    if (slot.timer !== null) clearTimeout(slot.timer)
    slot.timer = null
    slot.worker?.unref()
    return task
  }

  /** Throws the worker away (it hung or died); the next task gets a fresh one. */
  function discard(slot: Slot): void {
    const worker = slot.worker
    slot.worker = null
    slot.ready = null
    if (worker !== null) {
      worker.removeAllListeners()
      worker.on('error', () => undefined)
      void worker.terminate()
    }
  }

  function attach(slot: Slot, worker: Worker): void {
    slot.ready = new Promise<void>((resolve) => {
      const onReady = (message: unknown): void => {
        if (message !== WORKER_READY) return
        worker.off('message', onReady)
        resolve()
      }
      worker.on('message', onReady)
    })
    worker.on('message', (response: ParseResponse | typeof WORKER_READY) => {
      if (response === WORKER_READY || slot.worker !== worker || slot.task?.id !== response.id) return
      const task = finish(slot) as Task
      if (response.ok) task.resolve(response.value)
      else task.reject(new AppError(isErrorCode(response.code) ? response.code : 'PARSE_FAILED', response.message, { path: task.path }))
      dispatch()
    })
    const died = (why: string): void => {
      if (slot.worker !== worker) return
      const task = finish(slot)
      discard(slot)
      task?.reject(failure(`the message parser stopped while reading ${task.path}: ${why}`, task.path))
      dispatch()
    }
    worker.on('error', (error: Error) => died(error.message))
    worker.on('exit', (code) => died(`the worker exited with code ${code}`))
  }

  function dispatch(): void {
    if (closed) return
    for (const slot of slots) {
      if (slot.task !== null || waiting.length === 0) continue
      const task = waiting.shift() as Task
      slot.task = task
      getSpawner().then(async (spawn) => {
        if (slot.task !== task || closed) return
        if (slot.worker === null) {
          slot.worker = spawn({ resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? DEFAULT_HEAP_MB } })
          attach(slot, slot.worker)
        }
        const worker = slot.worker
        worker.ref()
        // One timer: first for the worker's start-up (a worker that never gets ready is stopped too), then for the parse.
        const expire = (what: string): void => {
          if (slot.task !== task) return
          finish(slot)
          discard(slot)
          task.reject(failure(`${what} ${task.path} took longer than ${timeoutMs} ms; the parser was stopped`, task.path))
          dispatch()
        }
        slot.timer = setTimeout(() => expire('starting the parser for'), timeoutMs)
        await slot.ready
        if (slot.task !== task || slot.worker !== worker) return
        if (slot.timer !== null) clearTimeout(slot.timer)
        slot.timer = setTimeout(() => expire('parsing'), timeoutMs)
        worker.postMessage({ id: task.id, path: task.path, limits } satisfies ParseRequest)
      }).catch((error: unknown) => {
        // No spawner, or spawn() threw (a missing worker file, no threads left): this call fails, the next one retries.
        if (slot.task !== task) return
        finish(slot)
        discard(slot)
        task.reject(failure(`the message parser cannot start: ${(error as Error).message}`, task.path))
        dispatch()
      })
    }
  }

  return {
    parse(path: string): Promise<ParsedMessage> {
      if (closed) return Promise.reject(failure('the message parser is closed', path))
      return new Promise<ParsedMessage>((resolve, reject) => {
        waiting.push({ id: nextId++, path, resolve, reject })
        dispatch()
      })
    },
    async close(): Promise<void> {
      closed = true
      for (const task of waiting.splice(0)) task.reject(failure('the message parser was closed', task.path))
      await Promise.all(slots.map(async (slot) => {
        const task = finish(slot)
        task?.reject(failure('the message parser was closed', task.path))
        const worker = slot.worker
        slot.worker = null
        if (worker !== null) {
          worker.removeAllListeners()
          worker.on('error', () => undefined)
          await worker.terminate()
        }
      }))
    }
  }
}
