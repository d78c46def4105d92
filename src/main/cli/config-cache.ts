// The configuration as the short-lived commands need it (sendmail, -bv): validated with zod once per config.json content, then cached.
// Loading zod costs ~100 ms per process; a cache entry keyed by the file's SHA-256 and this build keeps that off the submit path.
// It never accepts a config.json that zod would refuse: a changed file or a changed program misses the cache and is validated again.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../shared/result'
import type { Paths } from '../config/paths'
import type { Config } from '../config/schema'

/** What the submit path reads from config.json. */
export interface SubmitConfig {
  hostname: string
  localDomains: string[]
  queue: Pick<Config['queue'], 'maxMessages' | 'maxBytes' | 'minFreeDisk'>
}

interface CacheEntry {
  /** sha256 of config.json's bytes, or "absent". */
  key: string
  /** Identifies the program that validated it (a rebuild or upgrade invalidates the entry). */
  program: string
  /** hostname only when config.json sets it: the default follows the machine's name at each run. */
  hostname: string | null
  localDomains: string[]
  queue: SubmitConfig['queue']
}

export const CONFIG_CACHE_FILE = 'config-checked.json'

/** This build: the file this code was bundled into changes (mtime, size) whenever the program is rebuilt or upgraded. */
async function programStamp(): Promise<string> {
  try {
    const info = await stat(fileURLToPath(import.meta.url))
    return `${info.size}:${Math.round(info.mtimeMs)}`
  } catch {
    return 'unknown'
  }
}

function fromEntry(entry: CacheEntry): SubmitConfig {
  return { hostname: entry.hostname ?? osHostname(), localDomains: entry.localDomains, queue: entry.queue }
}

async function readCache(file: string): Promise<CacheEntry | null> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheEntry>
    if (typeof entry.key !== 'string' || typeof entry.program !== 'string' || !Array.isArray(entry.localDomains) || typeof entry.queue !== 'object' || entry.queue === null) return null
    return entry as CacheEntry
  } catch {
    return null
  }
}

/** Best effort: a cache that cannot be written only costs the next run the full validation. */
async function writeCache(dir: string, entry: CacheEntry): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const tmp = join(dir, `.${CONFIG_CACHE_FILE}.${process.pid}`)
    await writeFile(tmp, JSON.stringify(entry) + '\n', { mode: 0o600 })
    await rename(tmp, join(dir, CONFIG_CACHE_FILE))
  } catch {
    // ignored on purpose
  }
}

/**
 * The submit path's configuration. An invalid config.json is refused exactly as loadConfig refuses it
 * (CONFIG_INVALID, exit 78, naming the key), because every cache miss goes through loadConfig.
 */
export async function loadSubmitConfig(paths: Pick<Paths, 'config' | 'run'>): Promise<SubmitConfig> {
  let bytes: Buffer | null
  try {
    bytes = await readFile(paths.config)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('CONFIG_INVALID', `${paths.config} cannot be read: ${(error as Error).message}`, { file: paths.config }, { cause: error })
    }
    bytes = null
  }
  const key = bytes === null ? 'absent' : createHash('sha256').update(bytes).digest('hex')
  const program = await programStamp()
  const cacheFile = join(paths.run, CONFIG_CACHE_FILE)
  const cached = await readCache(cacheFile)
  if (cached !== null && cached.key === key && cached.program === program) return fromEntry(cached)

  const { parseConfig } = await import('../config/load')
  const config = parseConfig(bytes === null ? {} : parseJson(bytes, paths.config), paths.config)
  const entry: CacheEntry = {
    key,
    program,
    hostname: bytes !== null && hasOwnHostname(bytes) ? config.hostname : null,
    localDomains: config.localDomains,
    queue: { maxMessages: config.queue.maxMessages, maxBytes: config.queue.maxBytes, minFreeDisk: config.queue.minFreeDisk }
  }
  await writeCache(paths.run, entry)
  return fromEntry(entry)
}

/** Same wording as loadConfig. */
function parseJson(bytes: Buffer, file: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { file }, { cause: error })
  }
}

function hasOwnHostname(bytes: Buffer): boolean {
  const raw = JSON.parse(bytes.toString('utf8')) as unknown
  return typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'hostname')
}
