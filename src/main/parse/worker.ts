// The parse worker thread: receives {id, path, limits}, answers {id, ok, value} or {id, ok: false, code, message}.
// One message at a time; the pool kills and replaces a worker that takes too long or dies.
import { parentPort } from 'node:worker_threads'
import { AppError } from '../../shared/result'
import { parseMessageFile } from './parse-message'
import type { ParseLimits } from './types'

export interface ParseRequest {
  id: number
  path: string
  limits: Partial<ParseLimits>
}

export type ParseResponse =
  | { id: number; ok: true; value: Awaited<ReturnType<typeof parseMessageFile>> }
  | { id: number; ok: false; code: string; message: string }

/** Posted once the worker's modules are loaded: the pool's per-parse timeout starts only after it. */
export const WORKER_READY = 'ready'

const port = parentPort
if (port !== null) {
  port.postMessage(WORKER_READY)
  port.on('message', (request: ParseRequest) => {
    parseMessageFile(request.path, request.limits).then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies ParseResponse),
      (error: unknown) => port.postMessage({
        id: request.id, ok: false, code: error instanceof AppError ? error.code : 'PARSE_FAILED', message: (error as Error).message
      } satisfies ParseResponse)
    )
  })
}
