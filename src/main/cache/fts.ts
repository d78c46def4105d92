// The full-text index (FTS5 table messages_fts, rowid = messages.id): explicit upserts from the store, and the
// ranked search that joins it to the messages table.
import type { CacheDb, SqlValue } from './db'
import type { SqlSearch } from './search-query'

/** bm25 weights per column (from_text, to_text, subject, body): a subject hit ranks above a body hit. */
const BM25 = 'bm25(messages_fts, 2.0, 1.0, 4.0, 1.0)'

export interface FtsHeaders {
  from: string
  to: readonly string[]
  cc: readonly string[]
  subject: string
}

/** Adds or replaces the header columns of one message, keeping an indexed body. `fresh`: the row is new (initial sync). */
export function indexHeaders(cache: CacheDb, id: number, headers: FtsHeaders, fresh = false): void {
  if (fresh) {
    cache.statement('INSERT INTO messages_fts (rowid, from_text, to_text, subject, body) VALUES (?, ?, ?, ?, ?)')
      .run(id, headers.from, [...headers.to, ...headers.cc].join(' '), headers.subject, '')
    return
  }
  const existing = cache.statement('SELECT body FROM messages_fts WHERE rowid = ?').get(id)
  const body = typeof existing?.body === 'string' ? existing.body : ''
  cache.statement('DELETE FROM messages_fts WHERE rowid = ?').run(id)
  cache.statement('INSERT INTO messages_fts (rowid, from_text, to_text, subject, body) VALUES (?, ?, ?, ?, ?)')
    .run(id, headers.from, [...headers.to, ...headers.cc].join(' '), headers.subject, body)
}

/** Indexes the body text of one message (after it was fetched and parsed). */
export function indexBody(cache: CacheDb, id: number, text: string): void {
  cache.statement('UPDATE messages_fts SET body = ? WHERE rowid = ?').run(text, id)
}

/**
 * Message rows matching a parsed search, best first (bm25, then newest). `folder` null searches every folder.
 * The MATCH string comes from toSql(), which quotes every word, so user input cannot change the query's shape.
 */
export function searchRows(cache: CacheDb, search: SqlSearch, folder: string | null, limit: number): Record<string, SqlValue>[] {
  const params: SqlValue[] = []
  const where: string[] = [search.where]
  params.push(...search.params)
  if (folder !== null) {
    where.push('m.folder = ?')
    params.push(folder)
  }
  if (search.match === null) {
    return cache.statement(`SELECT m.* FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.date DESC, m.uid DESC LIMIT ?`).all(...params, limit)
  }
  return cache.statement(
    `SELECT m.*, ${BM25} AS rank FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
     WHERE messages_fts MATCH ? AND ${where.join(' AND ')} ORDER BY rank, m.date DESC LIMIT ?`
  ).all(search.match, ...params, limit)
}
