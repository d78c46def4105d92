// Opens an account's mail cache (MAILROOM_HOME/cache/<account>.db) with node:sqlite, loaded lazily so Node 20 processes never touch it.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AppError } from '../../shared/result'
import { CACHE_BUSY_TIMEOUT_MS } from '../config/timeouts'
import { migrate } from './migrations'

import type { CacheDb, SqliteDatabase, SqliteStatement } from './sqlite-types'
export type { CacheDb, SqliteDatabase, SqliteStatement, SqlValue } from './sqlite-types'

interface SqliteModule {
  DatabaseSync: new (path: string, options?: Record<string, unknown>) => SqliteDatabase
}

let loaded: Promise<SqliteModule | null> | null = null
let loadProblem = ''

/** node:sqlite, or null on a Node without it (20.x): imported on first use only. */
export function loadSqlite(): Promise<SqliteModule | null> {
  loaded ??= (async () => {
    try {
      // A variable specifier keeps bundlers and Node 20 from resolving the module before it is needed.
      const specifier = 'node:sqlite'
      return (await import(/* @vite-ignore */ specifier)) as SqliteModule
    } catch (error) {
      loadProblem = (error as Error).message
      return null
    }
  })()
  return loaded
}

/** Tests only: pretend this Node has no node:sqlite (true) or restore the real loader (false). */
export function simulateMissingSqlite(missing: boolean): void {
  loaded = missing ? Promise.resolve(null) : null
  loadProblem = missing ? "Cannot find module 'node:sqlite' (simulated)" : ''
}

/** Why the cache cannot be used on this Node, in words (empty when it can). */
export function sqliteProblem(): string {
  return loadProblem === '' ? '' : `node:sqlite is not available in Node ${process.versions.node} (${loadProblem}); the mail cache needs Node 22.13 or later`
}


export function wrapDatabase(file: string, db: SqliteDatabase): CacheDb {
  let depth = 0
  let closed = false
  const statements = new Map<string, SqliteStatement>()
  return {
    file,
    db,
    statement(sql: string): SqliteStatement {
      let prepared = statements.get(sql)
      if (prepared === undefined) {
        prepared = db.prepare(sql)
        statements.set(sql, prepared)
      }
      return prepared
    },
    transaction<T>(work: () => T): T {
      if (depth > 0) return work()
      db.exec('BEGIN IMMEDIATE')
      depth += 1
      try {
        const result = work()
        db.exec('COMMIT')
        return result
      } catch (error) {
        db.exec('ROLLBACK')
        throw error
      } finally {
        depth -= 1
      }
    },
    close() {
      if (closed) return
      closed = true
      db.close()
    }
  }
}

/** Opens (creating when needed) and migrates a cache file; ':memory:' for tests. CACHE_UNAVAILABLE without node:sqlite. */
export async function openCacheDb(file: string): Promise<CacheDb> {
  const sqlite = await loadSqlite()
  if (sqlite === null) throw new AppError('CACHE_UNAVAILABLE', sqliteProblem(), { file })
  if (file !== ':memory:') await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  let db: SqliteDatabase
  try {
    db = new sqlite.DatabaseSync(file)
    db.exec(`PRAGMA busy_timeout = ${CACHE_BUSY_TIMEOUT_MS}`)
    if (file !== ':memory:') db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA foreign_keys = ON')
  } catch (error) {
    throw new AppError('CACHE_IO', `The mail cache ${file} could not be opened: ${(error as Error).message}`, { file }, { cause: error })
  }
  const cache = wrapDatabase(file, db)
  try {
    migrate(cache)
  } catch (error) {
    cache.close()
    throw new AppError('CACHE_IO', `The mail cache ${file} could not be brought up to date: ${(error as Error).message}`, { file }, { cause: error })
  }
  return cache
}
