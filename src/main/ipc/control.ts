// The control socket (run/mailroom.sock): lets the CLI nudge or flush a running daemon/app. One JSON line each way.
import { mkdir, unlink } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import { CONTROL_REQUEST_TIMEOUT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'

export type ControlCommand = 'ping' | 'kick' | 'flush'
export type ControlReply = { ok: true; value?: unknown } | { ok: false; error: string }
export type ControlHandler = (command: ControlCommand) => Promise<unknown>

const COMMANDS: readonly ControlCommand[] = ['ping', 'kick', 'flush']
const MAX_REQUEST_BYTES = 4096

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
      let command: ControlCommand
      try {
        command = (JSON.parse(line) as { command: ControlCommand }).command
      } catch {
        return void socket.end(JSON.stringify({ ok: false, error: 'invalid JSON' }) + '\n')
      }
      if (!COMMANDS.includes(command)) return void socket.end(JSON.stringify({ ok: false, error: `unknown command ${String(command)}` }) + '\n')
      handler(command).then(
        (value) => socket.end(JSON.stringify({ ok: true, value } satisfies ControlReply) + '\n'),
        (error: unknown) => {
          log.warn('control', `${command} failed: ${(error as Error).message}`)
          socket.end(JSON.stringify({ ok: false, error: (error as Error).message } satisfies ControlReply) + '\n')
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
export function controlRequest(socketPath: string, command: ControlCommand, timeoutMs = CONTROL_REQUEST_TIMEOUT_MS): Promise<ControlReply | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let buffer = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the running Mailroom process did not answer "${command}" within ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(JSON.stringify({ command }) + '\n'))
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
