// Process helpers for the test harness: run a command with captured output, find executables, watch and kill pids.
import { spawn } from 'node:child_process'
import { accessSync, closeSync, constants, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Directories searched besides $PATH: the daemons live in sbin, which a non-login PATH may lack. */
const EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin']

/** Absolute path of an executable found via $PATH plus the sbin directories, or undefined. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Like findExecutable, but throws a readable error when the tool is not installed. */
export function requireExecutable(name: string): string {
  const path = findExecutable(name)
  if (!path) throw new Error(`${name} is not installed (looked in $PATH and ${EXTRA_PATH.join(', ')})`)
  return path
}

export interface RunOptions {
  /** default 30 s */
  timeoutMs?: number
  /** written to stdin (else stdin is /dev/null) */
  input?: string
  /**
   * Send stdout+stderr to this file instead of pipes and finish when the command exits. Needed for
   * launchers that daemonize (dovecot): the daemon inherits the pipes, which would never close.
   */
  outputFile?: string
}

/**
 * Run a command to completion, capturing stdout and stderr (nothing reaches the test output).
 * Rejects only when the command cannot be spawned or runs longer than timeoutMs; check `code` yourself.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const outFd = opts.outputFile === undefined ? undefined : openSync(opts.outputFile, 'w')
  return new Promise<RunResult>((resolve, reject) => {
    const output = outFd ?? 'pipe'
    const child = spawn(requireExecutable(cmd), args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', output, output] })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}${stderr}`))
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on(outFd === undefined ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer)
      if (opts.outputFile !== undefined) stdout = readFileSync(opts.outputFile, 'utf8')
      resolve({ code, signal, stdout, stderr })
    })
    if (child.stdin) {
      child.stdin.on('error', () => undefined) // EPIPE when the command exits without reading its input
      child.stdin.end(opts.input)
    }
  }).finally(() => {
    if (outFd !== undefined) closeSync(outFd)
  })
}

/** Run a command and throw (with its output) unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, opts)
  if (result.code !== 0) {
    const how = result.signal ? `signal ${result.signal}` : `exit code ${result.code}`
    throw new Error(`${cmd} ${args.join(' ')} failed with ${how}\n${result.stdout}${result.stderr}`.trimEnd())
  }
  return result
}

/** Read a pid file (Postfix pads it with spaces); undefined when missing or unreadable. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * True while the process exists and is not a zombie. In containers whose init reaps slowly,
 * a killed daemon lingers as a zombie for a while; it holds no ports and counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    // No /proc (or the pid is gone): fall back to signal 0.
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
}

/** pids whose parent is `ppid` (scans /proc; empty when /proc is unavailable). */
export function childPids(ppid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
  return entries.map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid
    } catch {
      return false
    }
  })
}

/**
 * Live processes that belong to a server dir: their command line names it (dnsmasq, dovecot) or their
 * working directory is inside it (Postfix daemons chdir to the queue, Dovecot's to base_dir or a home).
 */
export function processesUnder(dir: string): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`
  return entries.map(Number).filter((pid) => {
    if (pid === process.pid || !isAlive(pid)) return false
    if (commandLine(pid).includes(dir)) return true
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`)
      return cwd === dir || cwd.startsWith(prefix)
    } catch {
      return false
    }
  })
}

/** Command line of a live process ('' when unknown); used to make sure a pid was not reused. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Send a signal, ignoring "no such process". Negative pids address a process group. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** Process group id of a live process, from /proc (undefined when unknown). */
export function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    return Number.isInteger(pgrp) ? pgrp : undefined
  } catch {
    return undefined
  }
}

/**
 * Signal a daemon and its children: the whole process group when the pid leads one (Postfix's and
 * Dovecot's masters call setsid), else the pid alone. Never signals the test runner's own group.
 */
export function signalTree(pid: number, sig: NodeJS.Signals): void {
  const group = processGroup(pid)
  if (group === pid && group !== processGroup(process.pid)) signal(-pid, sig)
  else signal(pid, sig)
}

/** SIGKILL the process group led (now or before) by pid, e.g. a dead master's stragglers. Never our own group. */
export function killGroup(pid: number): void {
  if (pid > 1 && pid !== processGroup(process.pid)) signal(-pid, 'SIGKILL')
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Poll `check` every intervalMs until it returns a value other than undefined/false.
 * Throws `describe()`'s message when timeoutMs passes first.
 */
export async function pollUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  intervalMs = 50
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() >= deadline) throw new Error(await describe())
    await sleep(intervalMs)
  }
}

/** Wait until the pid is gone; returns false (instead of throwing) when it outlives timeoutMs. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    await pollUntil(() => !isAlive(pid), timeoutMs, () => `pid ${pid} still running`, 25)
    return true
  } catch {
    return false
  }
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there; nothing for undefined (never started or already gone). */
export async function terminate(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (pid === undefined) return
  signal(pid, 'SIGTERM')
  if (!(await waitForExit(pid, graceMs))) signal(pid, 'SIGKILL')
}
