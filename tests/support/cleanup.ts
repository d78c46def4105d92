// Registry of running test servers: stopAll() for afterAll, a kill-on-exit safety net, and reaping of a dead run's leftovers.
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OWNER_FILE, TEMP_PREFIX, type OwnerRecord } from './files'
import { commandLine, isAlive, processesUnder, readPidFile, signal, signalTree, waitForExit } from './proc'

/** What every started server hands to the registry. */
export interface ManagedServer {
  /** e.g. "postfix 127.0.0.2:25", used in error messages */
  readonly name: string
  /** its temp dir, removed when it stops */
  readonly dir: string
  /** orderly stop; must untrack() itself and be idempotent */
  stop(): Promise<void>
  /** synchronous SIGKILL of all its processes, for when the test process exits without stopping it */
  killAll(): void
}

const running = new Set<ManagedServer>()
let handlersInstalled = false
let reaped = false

/** Register a started server (and, on first use, install the exit handlers and reap orphans). */
export function track(server: ManagedServer): void {
  installHandlers()
  running.add(server)
}

export function untrack(server: ManagedServer): void {
  running.delete(server)
}

/** Servers started by this process and not stopped yet. */
export function runningServers(): ManagedServer[] {
  return [...running]
}

/** Stop every server this process started, newest first. Use in afterAll. Throws one error listing all failures. */
export async function stopAll(): Promise<void> {
  const failures: string[] = []
  for (const server of [...running].reverse()) {
    try {
      await server.stop()
    } catch (err) {
      failures.push(`${server.name}: ${(err as Error).message}`)
      killNow(server)
    }
  }
  if (failures.length > 0) throw new Error(`stopAll: ${failures.length} server(s) did not stop cleanly\n${failures.join('\n')}`)
}

/** SIGKILL a server's processes and delete its dir, synchronously (usable from an 'exit' handler). */
function killNow(server: ManagedServer): void {
  running.delete(server)
  server.killAll()
  for (const pid of processesUnder(server.dir)) signal(pid, 'SIGKILL')
  if (process.env.MAILROOM_KEEP_TEST_DIRS !== '1') rmSync(server.dir, { recursive: true, force: true })
}

function killAllNow(): void {
  for (const server of [...running]) {
    try {
      killNow(server)
    } catch {
      // best effort: the process is exiting
    }
  }
}

function installHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', killAllNow)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow()
      // Keep the default "die on signal" behaviour unless somebody else (the runner) handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
    })
  }
}

/** True when the live pid is a daemon of `dir` (guards against a recycled pid). */
function belongsTo(pid: number, dir: string): boolean {
  if (commandLine(pid).includes(dir)) return true
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)
  } catch {
    return false
  }
}

/**
 * Kill the daemons and delete the temp dirs that a test process left behind when it was killed
 * too hard for its exit handler to run (SIGKILL, OOM, a power cut). Dirs of live processes are untouched,
 * so parallel runs are safe. Runs once per process before the first server starts; call again at will.
 */
export async function reapOrphans(force = false): Promise<string[]> {
  if (reaped && !force) return []
  reaped = true
  const reapedDirs: string[] = []
  let entries: string[]
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(TEMP_PREFIX))
  } catch {
    return []
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name)
    let record: OwnerRecord
    try {
      record = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as OwnerRecord
    } catch {
      continue
    }
    if (record.owner === process.pid || isAlive(record.owner)) continue
    for (const pidFile of record.pidFiles) {
      const pid = readPidFile(join(dir, pidFile))
      if (pid !== undefined && isAlive(pid) && belongsTo(pid, dir)) signalTree(pid, 'SIGKILL')
    }
    // Children whose master is already dead (a Postfix smtpd still retrying its start-up, say).
    const stragglers = processesUnder(dir)
    for (const pid of stragglers) signal(pid, 'SIGKILL')
    for (const pid of stragglers) await waitForExit(pid, 5000)
    rmSync(dir, { recursive: true, force: true })
    reapedDirs.push(dir)
  }
  if (reapedDirs.length > 0) {
    process.stderr.write(`[test-servers] removed leftovers of a dead test run: ${reapedDirs.join(', ')}\n`)
  }
  return reapedDirs
}
