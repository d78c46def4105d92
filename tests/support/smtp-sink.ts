// Starts Postfix's smtp-sink on a loopback address: a fast SMTP server that throws mail away, or fails on chosen commands.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { reapOrphans, track, untrack } from './cleanup'
import { logTail, makeServerDir, removeServerDir } from './files'
import { isPortFree, waitForPort, waitForPortFree } from './ports'
import { requireExecutable, signal, terminate } from './proc'

/** smtp-sink's command names for -r/-f/-q: connect, helo, ehlo, mail, rcpt, data, '.', rset, quit … */
export type SinkCommand = 'connect' | 'helo' | 'ehlo' | 'mail' | 'rcpt' | 'data' | '.' | 'rset' | 'quit'

export interface SinkOptions {
  /** default 127.0.0.4 (TESTING.md's fault sink) */
  address?: string
  /** default 25 */
  port?: number
  /** -r: soft-reject (4xx) these commands */
  softReject?: SinkCommand[]
  /** -f: hard-reject (5xx) these commands */
  hardReject?: SinkCommand[]
  /** -q: drop the connection, without a reply, after these commands ('.' = after the final dot: the duplicate window) */
  disconnect?: SinkCommand[]
  /** -d: keep each transaction as a file in DIR/dump (slower; lets a test count and read what arrived) */
  dump?: boolean
  /** more raw arguments (e.g. ['-8'] to hide 8BITMIME, ['-p'] to hide PIPELINING) */
  extra?: string[]
  /** listen backlog, default 256 */
  backlog?: number
}

export interface SinkInstance {
  readonly name: string
  readonly address: string
  readonly port: number
  readonly dir: string
  /** Files of the transactions dumped so far (with dump: true). */
  dumped(): Promise<string[]>
  /** The content of every dumped transaction (envelope lines then the message). */
  dumpedMessages(): Promise<string[]>
  stop(): Promise<void>
}

export async function startSmtpSink(opts: SinkOptions = {}): Promise<SinkInstance> {
  const binary = requireExecutable('smtp-sink')
  await reapOrphans()
  const address = opts.address ?? '127.0.0.4'
  const port = opts.port ?? 25
  const name = `smtp-sink ${address}:${port}`
  if (!(await isPortFree(address, port))) throw new Error(`${name}: the address is already in use`)
  const dir = await makeServerDir('sink', [])
  const dumpDir = join(dir, 'dump')
  const outPath = join(dir, 'sink.out')
  const args = ['-u', 'nobody', '-4']
  if (opts.softReject?.length) args.push('-r', opts.softReject.join(','))
  if (opts.hardReject?.length) args.push('-f', opts.hardReject.join(','))
  if (opts.disconnect?.length) args.push('-q', opts.disconnect.join(','))
  if (opts.dump === true) {
    const { mkdir, chown } = await import('node:fs/promises')
    await mkdir(dumpDir, { mode: 0o777 })
    await chown(dumpDir, 65534, 65534)
    // smtp-sink expands the template with strftime and appends a unique suffix per transaction.
    args.push('-d', `${dumpDir}/%Y%m%d%H/%M.`)
  }
  args.push(...(opts.extra ?? []), `${address}:${port}`, String(opts.backlog ?? 256))

  let child: ChildProcess | undefined
  let exited: string | undefined
  let stopping: Promise<void> | undefined
  const instance = {
    name, address, port, dir,
    killAll: () => {
      if (child?.pid !== undefined && exited === undefined) signal(child.pid, 'SIGKILL')
    },
    async dumped() {
      const files: string[] = []
      const walk = async (path: string): Promise<void> => {
        for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
          if (entry.isDirectory()) await walk(join(path, entry.name))
          else files.push(join(path, entry.name))
        }
      }
      await walk(dumpDir)
      return files.sort()
    },
    async dumpedMessages() {
      return Promise.all((await instance.dumped()).map((f) => readFile(f, 'utf8')))
    },
    stop() {
      stopping ??= (async () => {
        untrack(instance)
        try {
          await terminate(exited === undefined ? child?.pid : undefined)
          await waitForPortFree(address, port, 10_000, { detail: () => logTail(outPath) })
        } finally {
          await removeServerDir(dir)
        }
      })()
      return stopping
    }
  }
  try {
    const out = openSync(outPath, 'w')
    try {
      child = spawn(binary, args, { stdio: ['ignore', out, out] })
    } finally {
      closeSync(out)
    }
    child.on('exit', (code, sig) => { exited = sig ? `signal ${sig}` : `exit code ${code}` })
    child.on('error', (err) => { exited = err.message })
    child.unref()
    track(instance)
    await waitForPort(address, port, 10_000, { detail: async () => `${name} did not start (${exited ?? 'running'})\n${await logTail(outPath)}` })
  } catch (err) {
    await instance.stop().catch(() => undefined)
    throw err
  }
  return instance
}
