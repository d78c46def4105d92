// Runs the built Mailroom against the test servers: a throwaway MAILROOM_HOME, the CLI, and `mailroom serve` as a child process.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const BIN = join(ROOT, 'bin', 'mailroom')

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('out/main/cli.js is missing: run `npm run build` (npm test does it first)')
}

export interface HomeOptions {
  dnsServer?: string
  imapPort?: number
  /** Extra/override keys of config.json. */
  config?: Record<string, unknown>
}

/** A fresh MAILROOM_HOME with a config.json pointing at the test DNS and (optionally) Dovecot. */
export async function makeHome(options: HomeOptions = {}): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mailroom-home-'))
  const config: Record<string, unknown> = {
    hostname: 'mailroom.test',
    dns: { servers: options.dnsServer === undefined ? [] : [options.dnsServer], allowLoopback: true },
    accounts: options.imapPort === undefined ? [] : [{
      id: 'work', email: 'alice@imap.test', name: 'Alice',
      imap: { host: '127.0.0.1', port: options.imapPort, security: 'none', user: 'alice', password: 'secret' }
    }],
    // The loopback listener would bind 2525 in every suite at once: off unless a test turns it on (on a free port).
    listener: { enabled: false },
    ...options.config
  }
  await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2))
  return home
}

export async function removeHome(home: string): Promise<void> {
  await rm(home, { recursive: true, force: true })
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `bin/mailroom ARGS` (or a link name via argv0) with MAILROOM_HOME=home and `input` on stdin. */
export function runCli(home: string, args: string[], input = '', timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MAILROOM_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`mailroom ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

export interface ServeProcess {
  url: string
  origin: string
  token: string
  child: ChildProcess
  stderr(): string
  stop(): Promise<void>
}

/** Starts `mailroom serve` and resolves with the URL it prints on stdout. */
export function startServe(home: string, timeoutMs = 30_000): Promise<ServeProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, MAILROOM_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`mailroom serve printed no URL within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`mailroom serve exited with ${code}; stderr: ${stderr}`))
    })
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString()
      const match = /^(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)$/m.exec(stdout)
      if (match === null) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolvePromise({
        url: match[0],
        origin: match[1] as string,
        token: match[2] as string,
        child,
        stderr: () => stderr,
        stop: () => new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done()
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
          child.once('exit', () => {
            clearTimeout(kill)
            done()
          })
          child.kill('SIGTERM')
        })
      })
    })
  })
}

/** Names of the files in one spool state directory. */
export async function spoolFiles(home: string, state: 'queued' | 'deferred' | 'hold' | 'data' | 'tmp' | 'corrupt'): Promise<string[]> {
  return readdir(join(home, 'spool', state)).catch(() => [])
}
