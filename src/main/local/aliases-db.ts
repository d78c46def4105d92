// etc/aliases → etc/aliases.db.json (newaliases): atomic compile that keeps the old database on errors, loading with a staleness check,
// and the default aliases file (sendmail/FreeBSD's sample: system names → root, and root → the person using this computer).
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../fsutil/atomic-write'
import { aliasSizes, parseAliases, type AliasEntry } from './aliases'
import type { RuleLineError } from './rule-tokens'

export const ALIASES_FILE = 'aliases'
export const ALIASES_DB_FILE = 'aliases.db.json'
const DB_VERSION = 1

interface AliasesDbFile {
  version: number
  /** Source stamp at compile time: any change of mtime or size makes the database stale. */
  sourceMtimeMs: number
  sourceSize: number
  compiledAt: string
  entries: AliasEntry[]
}

export interface AliasStats {
  /** sendmail's "N aliases, longest N bytes, N bytes total". */
  count: number
  longest: number
  total: number
}

export interface CompileResult {
  ok: boolean
  source: string
  database: string
  stats: AliasStats
  /** Bad lines: when any, the database was not written (the previous one stays in effect). */
  errors: RuleLineError[]
  warnings: RuleLineError[]
}

export function aliasStats(entries: readonly AliasEntry[]): AliasStats {
  let longest = 0
  let total = 0
  for (const entry of entries) {
    const size = aliasSizes(entry)
    longest = Math.max(longest, size.rhs)
    total += size.name + size.rhs
  }
  return { count: entries.length, longest, total }
}

/** Compiles etc/aliases. Throws only when the source cannot be read or the database cannot be written (with the errno). */
export async function compileAliases(etcDir: string): Promise<CompileResult> {
  const source = join(etcDir, ALIASES_FILE)
  const database = join(etcDir, ALIASES_DB_FILE)
  const handle = await open(source, 'r')
  let text: string
  let info
  try {
    info = await handle.stat()
    text = await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
  const parsed = parseAliases(text, ALIASES_FILE)
  const stats = aliasStats(parsed.entries)
  if (parsed.errors.length > 0) return { ok: false, source, database, stats, errors: parsed.errors, warnings: parsed.warnings }
  const db: AliasesDbFile = { version: DB_VERSION, sourceMtimeMs: info.mtimeMs, sourceSize: info.size, compiledAt: new Date().toISOString(), entries: parsed.entries }
  // A reader sees the old or the new database, never half; a failed directory fsync does not fail newaliases.
  await writeFileAtomic(database, JSON.stringify(db) + '\n', { mode: 0o644, fsyncDir: 'best-effort' })
  return { ok: true, source, database, stats, errors: [], warnings: parsed.warnings }
}

export interface LoadedAliases {
  /** Alias name (lower-case) → entry. */
  table: Map<string, AliasEntry>
  /** etc/aliases changed after the last newaliases: the compiled (older) table is used, with a warning. */
  stale: boolean
  /** No usable compiled database: the table was parsed from etc/aliases directly (or is empty when that is missing too). */
  missing: boolean
  /** Sentences for the log and the preview ("aliases database is out of date: ..."). */
  warnings: string[]
  /** The source file, for messages and via steps. */
  source: string
}

function isDbFile(value: unknown): value is AliasesDbFile {
  const v = value as Partial<AliasesDbFile> | null
  return typeof v === 'object' && v !== null && v.version === DB_VERSION && Array.isArray(v.entries) && typeof v.sourceMtimeMs === 'number'
}

async function sourceStamp(source: string): Promise<{ mtimeMs: number; size: number } | null> {
  try {
    const info = await stat(source)
    return { mtimeMs: info.mtimeMs, size: info.size }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Loads the compiled aliases; without a database, parses etc/aliases as it is (good entries only) and says so. */
export async function loadAliases(etcDir: string): Promise<LoadedAliases> {
  const source = join(etcDir, ALIASES_FILE)
  const database = join(etcDir, ALIASES_DB_FILE)
  const warnings: string[] = []
  const stamp = await sourceStamp(source)
  let db: unknown = null
  try {
    db = JSON.parse(await readFile(database, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`${database} cannot be used (${(error as Error).message}); run mailroom newaliases`)
  }
  if (isDbFile(db)) {
    const table = new Map(db.entries.map((entry) => [entry.name, entry]))
    const stale = stamp === null || stamp.mtimeMs !== db.sourceMtimeMs || stamp.size !== db.sourceSize
    if (stamp === null) warnings.push(`${source} is missing; the compiled aliases database is used`)
    else if (stale) warnings.push(`aliases database is out of date: ${source} changed after the last newaliases; run mailroom newaliases (the older compiled aliases are in effect)`)
    return { table, stale, missing: false, warnings, source }
  }
  if (db !== null) warnings.push(`${database} is not an aliases database of this version; run mailroom newaliases`)
  if (stamp === null) return { table: new Map(), stale: false, missing: true, warnings, source }
  const parsed = parseAliases(await readFile(source, 'utf8'), ALIASES_FILE)
  warnings.push(`aliases database is missing: ${source} is read as it is; run mailroom newaliases`)
  for (const error of parsed.errors) warnings.push(`${error.file}:${error.line}: ${error.message} (entry ignored)`)
  return { table: new Map(parsed.entries.map((entry) => [entry.name, entry])), stale: false, missing: true, warnings, source }
}

const PSEUDO_ACCOUNTS = ['bin', 'daemon', 'games', 'kmem', 'mail', 'man', 'news', 'nobody', 'operator', 'sshd', 'sync', 'sys', 'system', 'toor', 'tty', 'uucp', 'www-data']
const WELL_KNOWN = ['abuse', 'security', 'hostmaster', 'noc', 'ftp', 'usenet']

/** The default etc/aliases for this OS user (root → the OS user unless that is root). Names equal to the OS user are left out. */
export function defaultAliasesText(osUser: string): string {
  const line = (name: string, target: string): string => (name === osUser ? `# ${name}: ${target}   (left out: ${name} is the user running Mailroom)` : `${name}: ${target}`)
  return [
    '# etc/aliases: where mail for local names goes (sendmail\'s format). After editing, run `mailroom newaliases`',
    '# (or `sendmail -bi`) to compile it into aliases.db.json; until then the old compiled aliases stay in effect.',
    '#',
    '#   name: target, target, ...',
    '# A target is a local user or alias, user@example.org, "|program args" (gets the message on stdin),',
    '# /path/to/file (appended in mbox format), :include:/path/to/list, or \\user (that user\'s own mailbox).',
    '# A line starting with white space continues the entry above it; lines starting with # are comments.',
    '',
    '# Basic system aliases: these must be present.',
    line('mailer-daemon', 'postmaster'),
    line('postmaster', 'root'),
    '',
    '# Pseudo accounts: their mail goes to root.',
    ...PSEUDO_ACCOUNTS.map((name) => line(name, 'root')),
    '',
    '# Well-known addresses (RFC 2142).',
    ...WELL_KNOWN.map((name) => line(name, 'root')),
    '',
    '# The web server\'s mail.',
    line('www', 'webmaster'),
    line('webmaster', 'root'),
    ...(osUser === 'root' ? [] : ['', '# root\'s mail goes to the person using this computer.', `root: ${osUser}`]),
    ''
  ].join('\n')
}

/**
 * When etc/aliases does not exist: writes the default file and compiles it, returning the result; otherwise null.
 * Called by `mailroom newaliases` and by the expander before its first expansion (so a fresh MAILROOM_HOME has working aliases).
 */
export async function ensureDefaultAliases(etcDir: string, osUser: string): Promise<CompileResult | null> {
  const source = join(etcDir, ALIASES_FILE)
  if ((await sourceStamp(source)) !== null) return null
  await mkdir(etcDir, { recursive: true })
  try {
    await writeFile(source, defaultAliasesText(osUser.toLowerCase()), { flag: 'wx', mode: 0o644 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return null
  }
  return compileAliases(etcDir)
}
