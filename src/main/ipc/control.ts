// The control socket (run/mailroom.sock): lets the CLI nudge or flush a running daemon/app, or run a queue operation. One JSON line each way.
import { mkdir, unlink } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import { isErrorCode, type ErrorCode } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { CONTROL_REQUEST_TIMEOUT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'

export type ControlCommand = 'ping' | 'kick' | 'flush' | 'op'
/** A failed command carries the error-table code when there is one, so the CLI exits as if it had run the operation itself. */
export type ControlReply = { ok: true; value?: unknown } | { ok: false; error: string; code?: ErrorCode }

/** The queue operations the CLI may ask a running daemon/app for (QueueService method names). */
export type QueueOpName = 'hold' | 'release' | 'freeze' | 'thaw' | 'retryNow' | 'remove' | 'undo' | 'editRecipients' | 'status'
export const QUEUE_OPS: readonly QueueOpName[] = ['hold', 'release', 'freeze', 'thaw', 'retryNow', 'remove', 'undo', 'editRecipients', 'status']

/** A request line: `{"command":"op","op":"hold","args":["ID"]}`; ping/kick/flush carry no op. */
export interface ControlRequest {
  command: ControlCommand
  op?: QueueOpName
  args?: unknown[]
}

/** The daemon side: `request` is validated (a known op, args of the right shape) before the handler sees it. */
export type ControlHandler = (command: ControlCommand, request: ControlRequest) => Promise<unknown>

/** What runQueueOp needs of the queue (QueueService has these methods). */
export interface QueueOps {
  hold(id: string): Promise<unknown>
  release(id: string): Promise<unknown>
  freeze(id: string): Promise<unknown>
  thaw(id: string): Promise<unknown>
  retryNow(id: string): Promise<unknown>
  remove(id: string, options: { notifySender: boolean }): Promise<unknown>
  undo(id: string): Promise<unknown>
  editRecipients(id: string, recipients: string[]): Promise<unknown>
  status(): Promise<unknown>
}

const COMMANDS: readonly ControlCommand[] = ['ping', 'kick', 'flush', 'op']
/** Room for edit-recipients with many addresses. */
const MAX_REQUEST_BYTES = 256 * 1024

/** Checks an op request's shape; throws INVALID_ARGUMENT saying what is wrong. */
export function checkOpRequest(request: ControlRequest): { op: QueueOpName; args: unknown[] } {
  const op = request.op
  if (op === undefined || !QUEUE_OPS.includes(op)) throw new AppError('INVALID_ARGUMENT', `unknown queue operation ${String(op)}`)
  const args = Array.isArray(request.args) ? request.args : []
  const id = args[0]
  if (op === 'status') return { op, args: [] }
  if (typeof id !== 'string' || id === '' || id.length > 64) throw new AppError('INVALID_ARGUMENT', `${op}: a message id is required`)
  if (op === 'remove') {
    const notify = (args[1] as { notifySender?: unknown } | undefined)?.notifySender
    return { op, args: [id, { notifySender: notify === true }] }
  }
  if (op === 'editRecipients') {
    const list = args[1]
    if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string')) {
      throw new AppError('INVALID_ARGUMENT', 'editRecipients: give at least one recipient address')
    }
    return { op, args: [id, list] }
  }
  return { op, args: [id] }
}

/** Runs a checked op request against the queue (used by the daemon/app side and by the CLI in-process). */
export function runQueueOp(queue: QueueOps, request: ControlRequest): Promise<unknown> {
  const { op, args } = checkOpRequest(request)
  switch (op) {
    case 'remove':
      return queue.remove(args[0] as string, args[1] as { notifySender: boolean })
    case 'editRecipients':
      return queue.editRecipients(args[0] as string, args[1] as string[])
    case 'status':
      return queue.status()
    default:
      return queue[op](args[0] as string)
  }
}

function failure(error: unknown): ControlReply {
  const code = (error as { code?: unknown }).code
  return isErrorCode(code) ? { ok: false, error: (error as Error).message, code } : { ok: false, error: (error as Error).message }
}

/** Is something answering on this socket? (A socket file left by a crashed process is not.) */
async function alive(socketPath: string): Promise<boolean> {
  return (await controlRequest(socketPath, 'ping', 1000).catch(() => null)) !== null
}

export async function startControlServer(socketPath: string, handler: ControlHandler, log: Logger): Promise<{ close(): Promise<void> }> {
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
  if (await alive(socketPath)) throw new Error(`another Mailroom process already answers on ${socketPath}`)
  await unlink(socketPath).catch(() => undefined)
  const server: Server = createServer((socket) => {
    let buffer = ''
    socket.setEncoding('utf8')
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk: string) => {
      buffer += chunk
      if (buffer.length > MAX_REQUEST_BYTES) return void socket.end(JSON.stringify({ ok: false, error: 'request too long' }) + '\n')
      const newline = buffer.indexOf('\n')
      if (newline < 0) return
      const line = buffer.slice(0, newline)
      let request: ControlRequest
      try {
        request = JSON.parse(line) as ControlRequest
        if (typeof request !== 'object' || request === null) throw new Error('not an object')
      } catch {
        return void socket.end(JSON.stringify({ ok: false, error: 'invalid JSON' }) + '\n')
      }
      const command = request.command
      if (!COMMANDS.includes(command)) return void socket.end(JSON.stringify({ ok: false, error: `unknown command ${String(command)}` }) + '\n')
      let checked: ControlRequest = { command }
      try {
        if (command === 'op') checked = { command, ...checkOpRequest(request) }
      } catch (error) {
        return void socket.end(JSON.stringify(failure(error)) + '\n')
      }
      handler(command, checked).then(
        (value) => socket.end(JSON.stringify({ ok: true, value } satisfies ControlReply) + '\n'),
        (error: unknown) => {
          const what = command === 'op' ? `${command} ${String(checked.op)}` : command
          if (!(error instanceof AppError)) log.warn('control', `${what} failed: ${(error as Error).message}`)
          socket.end(JSON.stringify(failure(error)) + '\n')
        }
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // Owner-only: the socket is as private as the spool it steers.
    const previous = process.umask(0o077)
    server.listen(socketPath, () => {
      process.umask(previous)
      resolve()
    })
  })
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        void unlink(socketPath).catch(() => undefined)
      })
  }
}

/**
 * Sends one command; resolves with the reply, or null when no process listens (no daemon running).
 * Rejects on a timeout or a malformed reply.
 */
export function controlRequest(socketPath: string, command: ControlCommand, timeoutMs = CONTROL_REQUEST_TIMEOUT_MS, extra: Omit<ControlRequest, 'command'> = {}): Promise<ControlReply | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let buffer = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the running Mailroom process did not answer "${command}" within ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(JSON.stringify({ command, ...extra }) + '\n'))
    socket.on('data', (chunk: string) => {
      buffer += chunk
    })
    socket.on('end', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(buffer.trim()) as ControlReply)
      } catch {
        reject(new Error('malformed reply on the control socket'))
      }
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve(null)
      else reject(error)
    })
  })
}
