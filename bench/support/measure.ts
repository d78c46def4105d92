// Measuring helpers for the benchmarks: bounded rate loops, process timing, a throwaway MAILROOM_HOME, table printing.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, open, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const BIN = join(ROOT, 'bin', 'mailroom')

/** Every loop stops at its count or after this long, whichever comes first. */
export const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 60)

/** Bundled into .tmp/bench/, so the project root is two levels up from there too. */
export function builtCliExists(): boolean {
  return existsSync(join(ROOT, 'out', 'main', 'cli.js'))
}

export interface Rate {
  done: number
  seconds: number
  perSecond: number
}

/** Runs `op` up to `total` times with `concurrency` in flight, stopping at the time bound. */
export async function rate(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Rate> {
  const deadline = Date.now() + MAX_SECONDS * 1000
  let next = 0
  let done = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total && Date.now() < deadline) {
      await op(next++)
      done++
    }
  }))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { done, seconds, perSecond: done / seconds }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** What one durable file costs on this disk: create, write, fsync, rename, fsync the directory. */
export async function rawDurableFile(dir: string, i: number, body: Buffer): Promise<void> {
  const tmp = join(dir, `tmp-${i}`)
  const handle = await open(tmp, 'w')
  await handle.writeFile(body)
  await handle.sync()
  await handle.close()
  await rename(tmp, join(dir, `f-${i}`))
  await fsyncDir(dir)
}

export interface ProcessRun {
  code: number | null
  ms: number
  stderr: string
}

/** Runs a command to completion with `input` on stdin (stdout discarded), timing it from spawn to exit. */
export function timeProcess(command: string, args: string[], input: string | null, env: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: [input === null ? 'ignore' : 'pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, stderr }))
    if (child.stdin !== null) {
      child.stdin.on('error', () => undefined)
      child.stdin.end(input)
    }
  })
}

/** A throwaway MAILROOM_HOME with a minimal config. */
export async function makeBenchHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mailroom-bench-home-'))
  await writeFile(join(home, 'config.json'), JSON.stringify({ hostname: 'bench.test', dns: { servers: [], allowLoopback: true }, accounts: [] }))
  return home
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export const num = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))

/** "0.62× (target ≥ 0.80×: not met)" */
export function verdict(ratio: number | undefined, target: number, atMost = false): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return `n/a (target ${atMost ? '≤' : '≥'} ${target.toFixed(2)}×)`
  const met = atMost ? ratio <= target : ratio >= target
  return `${ratio.toFixed(2)}× (target ${atMost ? '≤' : '≥'} ${target.toFixed(2)}×: ${met ? 'met' : 'NOT met'})`
}
