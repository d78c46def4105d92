// "|command" deliveries (aliases, .forward): /bin/sh -c with the message on stdin, Postfix local(8) environment, time and output limits, sysexits mapped.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROGRAM_OUTPUT_DRAIN_MS } from '../config/timeouts'
import { targetFailure, type TargetResult } from './target-result'

/** The user a program runs for: its home is the working directory; its uid is used when Mailroom runs as root. */
export interface ProgramUser {
  name: string
  home: string
  uid: number | null
}

export interface ProgramRequest {
  command: string
  user: ProgramUser
  /** Envelope sender ('' for <>). */
  sender: string
  /** The address being delivered (after alias expansion: the user's address), RECIPIENT. */
  recipient: string
  /** The address as first submitted, ORIGINAL_RECIPIENT. */
  originalRecipient: string
  /** The message as the program reads it (trace headers prepended, LF line ends). */
  input: Buffer
  timeoutMs: number
  /** Bytes of combined stdout + stderr kept (the rest is read and dropped). */
  outputLimit: number
  /** MAILROOM_HOME, passed on so `mailroom vacation` finds this Mailroom's data. */
  mailroomHome: string
}

export type ProgramExit =
  | { kind: 'exited'; status: number; output: string }
  | { kind: 'signaled'; signal: string; output: string }
  | { kind: 'timeout'; output: string }
  | { kind: 'spawn-error'; message: string }

/** sysexits(3) as Postfix's sys_exits table maps them: [enhanced code, text]; 4.x.x defers. */
const SYSEXITS: Record<number, [string, string]> = {
  64: ['5.3.0', 'command line usage error'],
  65: ['5.6.0', 'data format error'],
  66: ['5.3.0', 'cannot open input'],
  67: ['5.1.1', 'user unknown'],
  68: ['5.1.2', 'host name unknown'],
  69: ['5.3.0', 'service unavailable'],
  70: ['5.3.0', 'internal software error'],
  71: ['4.3.0', 'system resource problem'],
  72: ['5.3.0', 'critical OS file missing'],
  73: ['5.2.0', "can't create user output file"],
  74: ['5.3.0', 'input/output error'],
  75: ['4.3.0', 'temporary failure'],
  76: ['5.5.0', 'remote error in protocol'],
  77: ['5.7.0', 'permission denied'],
  78: ['5.3.5', 'local configuration error']
}

/** The default PATH of programs (Postfix local(8) uses _PATH_DEFPATH). */
export const PROGRAM_PATH = '/usr/bin:/bin'

/** Single-quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

let mailroomBinCache: string | null | undefined

/** bin/mailroom of this installation, found from wherever the bundler put this code (src/main/local, out/main, out/main/chunks). */
export function mailroomBin(): string | null {
  if (mailroomBinCache !== undefined) return mailroomBinCache
  let dir = dirname(fileURLToPath(import.meta.url))
  mailroomBinCache = null
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'mailroom')
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) {
      mailroomBinCache = candidate
      break
    }
    dir = dirname(dir)
  }
  return mailroomBinCache
}

/**
 * A command whose first word is exactly `mailroom` runs this Mailroom's own CLI (the running Node or Electron binary with
 * bin/mailroom), so `"|mailroom vacation alice"` works whatever PATH says. Other commands are returned unchanged.
 */
export function resolveMailroomCommand(command: string, bin: string | null = mailroomBin()): { command: string; ownCli: boolean } {
  const match = /^\s*mailroom(?=\s|$)/.exec(command)
  if (match === null || bin === null) return { command, ownCli: false }
  return { command: `${shellQuote(process.execPath)} ${shellQuote(bin)}${command.slice(match[0].length)}`, ownCli: true }
}

function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@')
  return at < 0 ? { local: address, domain: '' } : { local: address.slice(0, at), domain: address.slice(at + 1) }
}

/** The environment of a program (Postfix local(8): SENDER RECIPIENT USER HOME LOCAL DOMAIN EXTENSION SHELL LOGNAME PATH, TZ and LANG passed on). */
export function programEnvironment(request: ProgramRequest, ownCli: boolean, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { local, domain } = splitAddress(request.recipient)
  const env: NodeJS.ProcessEnv = {
    PATH: PROGRAM_PATH,
    SHELL: '/bin/sh',
    HOME: request.user.home,
    USER: request.user.name,
    LOGNAME: request.user.name,
    SENDER: request.sender,
    RECIPIENT: request.recipient,
    ORIGINAL_RECIPIENT: request.originalRecipient,
    LOCAL: local,
    DOMAIN: domain,
    EXTENSION: '',
    MAILROOM_HOME: request.mailroomHome
  }
  for (const name of ['TZ', 'LANG']) if (parent[name] !== undefined) env[name] = parent[name]
  // Inside the Electron app process.execPath is Electron: make it behave as Node for our own CLI.
  if (ownCli && process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = '1'
  return env
}

/** uid/gid to run as: only when Mailroom runs as root and the user is someone else (gid: the owner group of the home directory). */
async function credentials(user: ProgramUser): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0 || user.uid === null || user.uid === 0) return {}
  const gid = await stat(user.home).then((info) => info.gid, () => user.uid as number)
  return { uid: user.uid, gid }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is gone already
  }
}

/** Runs the program; never throws. Output is stdout and stderr together, cut at outputLimit bytes. */
export async function runProgram(request: ProgramRequest): Promise<ProgramExit> {
  const { command, ownCli } = resolveMailroomCommand(request.command)
  const cwd = await stat(request.user.home).then((info) => (info.isDirectory() ? request.user.home : '/'), () => '/')
  const ids = await credentials(request.user)
  return new Promise((resolve) => {
    let child
    try {
      // detached: the program gets its own process group, so a time limit kills it and everything it started.
      // `exec 2>&1` on a line of its own: stderr joins stdout in one pipe (order kept, as in Postfix), syntax errors included.
      child = spawn('/bin/sh', ['-c', `exec 2>&1\n${command}`], { cwd, env: programEnvironment(request, ownCli), detached: true, stdio: ['pipe', 'pipe', 'pipe'], ...ids })
    } catch (error) {
      resolve({ kind: 'spawn-error', message: (error as Error).message })
      return
    }
    const chunks: Buffer[] = []
    let kept = 0
    const collect = (chunk: Buffer): void => {
      if (kept >= request.outputLimit) return
      const part = chunk.subarray(0, request.outputLimit - kept)
      chunks.push(part)
      kept += part.length
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const output = (): string => Buffer.concat(chunks).toString('utf8')
    let timedOut = false
    // Like Postfix: past the time limit the whole process group is killed at once.
    const limitTimer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid, 'SIGKILL')
    }, request.timeoutMs)
    let settled = false
    const finish = (exit: ProgramExit): void => {
      if (settled) return
      settled = true
      clearTimeout(limitTimer)
      resolve(exit)
    }
    child.on('error', (error) => finish({ kind: 'spawn-error', message: error.message }))
    child.on('exit', (code, signal) => {
      const result = (): ProgramExit => timedOut
        ? { kind: 'timeout', output: output() }
        : signal !== null ? { kind: 'signaled', signal, output: output() } : { kind: 'exited', status: code ?? 0, output: output() }
      // A background child may keep the pipes open: wait a little for the rest of the output, then stop listening.
      const drain = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        finish(result())
      }, PROGRAM_OUTPUT_DRAIN_MS)
      child.on('close', () => {
        clearTimeout(drain)
        finish(result())
      })
    })
    child.stdin.on('error', () => undefined) // EPIPE: the program did not read its input, which is its right
    child.stdin.end(request.input)
  })
}

/** Program output for a DSN: control characters as spaces, whitespace squeezed, at most `max` characters. */
export function printableOutput(output: string, max = 1000): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const flat = output.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}

/**
 * The outcome of one program delivery, worded like Postfix local(8): exit 0 → delivered; a sysexits temporary code
 * (75, 71) or the time limit → defer; any other status or a signal → bounce, with the program's output in the diagnostic.
 */
export function programResult(command: string, exit: ProgramExit): TargetResult {
  const quoted = `"${printableOutput(command, 200)}"`
  if (exit.kind === 'spawn-error') {
    return targetFailure('4.3.0', `cannot run command ${quoted}: ${exit.message}`, `The program ${quoted} could not be started (${exit.message}); this is temporary.`)
  }
  const said = printableOutput(exit.output)
  const withOutput = said === '' ? '' : `. Command output: ${said}`
  if (exit.kind === 'timeout') {
    return targetFailure('4.3.0', `Command time limit exceeded: ${quoted}${withOutput}`, `The program ${quoted} ran past its time limit and was stopped; delivery will be tried again.`)
  }
  if (exit.kind === 'signaled') {
    return targetFailure('5.3.0', `Command died with signal ${exit.signal}: ${quoted}${withOutput}`, `The program ${quoted} was killed by signal ${exit.signal}${said === '' ? '' : ` (it said: ${said})`}.`)
  }
  if (exit.status === 0) return { status: 'sent', text: `delivered to command: ${printableOutput(command, 200)}` }
  const [enhanced, meaning] = SYSEXITS[exit.status] ?? ['5.3.0', 'unknown error']
  const diagnostic = `Command died with status ${exit.status}: ${quoted}${withOutput}`
  const human = enhanced.startsWith('4.')
    ? `The program ${quoted} reported a temporary problem (exit status ${exit.status}, ${meaning})${said === '' ? '' : `: ${said}`}; delivery will be tried again.`
    : `The program ${quoted} failed with exit status ${exit.status}${said === '' ? '' : `: ${said}`}.`
  return targetFailure(enhanced, diagnostic, human)
}
