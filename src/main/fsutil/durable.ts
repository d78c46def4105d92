// Durable file primitives shared by every store: write+fsync a new file, fsync a directory (DirSyncer: many renames share one),
// rename/unlink that tolerate a vanished file, and errno tests. A rename is only durable once its directory is fsynced.
import { open, rename, unlink } from 'node:fs/promises'

export interface DurableFileMode {
  /** Mode of the new file (default 0600), given to open(2): the umask applies unless `exact`. */
  mode?: number
  /** Set exactly `mode` (chmod before the fsync), whatever the umask. */
  exact?: boolean
}

/** Creates `path` (it must not exist), writes every byte, fsyncs and closes it. On failure the partial file is removed. */
export async function writeFileDurable(path: string, bytes: Buffer | Uint8Array, options: DurableFileMode = {}): Promise<void> {
  const mode = options.mode ?? 0o600
  const handle = await open(path, 'wx', mode)
  try {
    await handle.writeFile(bytes)
    if (options.exact === true) await handle.chmod(mode)
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => undefined)
    await unlink(path).catch(() => undefined)
    throw error
  }
  await handle.close()
}

/**
 * Fsyncs a directory so the names created, renamed or removed in it survive a crash.
 * Windows cannot open a directory for fsync (and NTFS journals metadata itself), so there it is a no-op.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Renames, ignoring a source that is already gone (another process finished the job); true if it moved. */
export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

/** Removes a file, ignoring one that is already gone; true if it removed something. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code
}

interface Waiters {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

function waiters(): Waiters {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

interface DirState {
  inFlight: Promise<void> | null
  next: Waiters | null
}

/**
 * Group commit for directory fsyncs. `sync(dir)` resolves once an fsync of `dir` that *started after the call*
 * has completed, so it covers every rename the caller made before calling. Callers arriving while an fsync is
 * in flight all wait for the single next one, which starts when the current one ends. An fsync error is
 * delivered to every caller of that round.
 */
export class DirSyncer {
  private readonly dirs = new Map<string, DirState>()
  private performed = 0

  constructor(private readonly fsyncFn: (dir: string) => Promise<void> = fsyncDir) {}

  /** How many directory fsyncs were actually performed (for tests and statistics). */
  get fsyncCount(): number {
    return this.performed
  }

  sync(dir: string): Promise<void> {
    let state = this.dirs.get(dir)
    if (state === undefined) {
      state = { inFlight: null, next: null }
      this.dirs.set(dir, state)
    }
    if (state.inFlight === null) return this.start(dir, state)
    if (state.next === null) state.next = waiters()
    return state.next.promise
  }

  private start(dir: string, state: DirState): Promise<void> {
    this.performed += 1
    const round = (async () => this.fsyncFn(dir))()
    state.inFlight = round
    const settle = (): void => {
      const next = state.next
      state.next = null
      state.inFlight = null
      if (next !== null) {
        this.start(dir, state).then(next.resolve, next.reject)
      } else {
        this.dirs.delete(dir)
      }
    }
    round.then(settle, settle)
    return round
  }
}
