// The types of the cache's SQLite connection (the part of node:sqlite it uses), shared by db.ts and migrations.ts.

/** The part of node:sqlite's StatementSync the cache uses (@types/node 20 has no node:sqlite types). */
export interface SqliteStatement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined
  all(...params: SqlValue[]): Record<string, SqlValue>[]
}

export type SqlValue = string | number | bigint | null | Uint8Array

/** The part of node:sqlite's DatabaseSync the cache uses. */
export interface SqliteDatabase {
  exec(sql: string): void
  prepare(sql: string): SqliteStatement
  close(): void
}

/** An open cache database and a helper to run work in one transaction. */
export interface CacheDb {
  readonly file: string
  readonly db: SqliteDatabase
  /** A prepared statement, prepared once per connection and reused (preparing is most of a small query's cost). */
  statement(sql: string): SqliteStatement
  /** Runs `work` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on a throw). Nested calls join the outer transaction. */
  transaction<T>(work: () => T): T
  close(): void
}
