// The outbox of offline operations (ops table): flags, moves and deletes done in the cache at once and replayed to
// the server in order (seq) when the account is online.
import type { CacheDb, SqlValue } from './db'

export type OpKind = 'flags' | 'move' | 'delete'

export interface FlagsArgs {
  uids: number[]
  add: string[]
  remove: string[]
  /** uid → the message's modseq in the cache when the change was made (CONDSTORE guard: the server's newer change wins). */
  modseqs?: Record<string, string>
}
export interface MoveArgs { uids: number[]; target: string }
export interface DeleteArgs { uids: number[] }

export type OpArgs = FlagsArgs | MoveArgs | DeleteArgs

export interface PendingOp {
  seq: number
  kind: OpKind
  folder: string
  args: OpArgs
  attempts: number
}

const num = (v: SqlValue | undefined): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0)

export class OpsOutbox {
  constructor(private readonly cache: CacheDb) {}

  add(kind: 'flags', folder: string, args: FlagsArgs, now: number): number
  add(kind: 'move', folder: string, args: MoveArgs, now: number): number
  add(kind: 'delete', folder: string, args: DeleteArgs, now: number): number
  add(kind: OpKind, folder: string, args: OpArgs, now: number): number {
    const row = this.cache.statement('INSERT INTO ops (kind, folder, args, created) VALUES (?, ?, ?, ?) RETURNING seq').get(kind, folder, JSON.stringify(args), now)
    return num(row?.seq)
  }

  /** Pending operations, oldest first. */
  pending(): PendingOp[] {
    return this.cache.statement("SELECT * FROM ops WHERE state = 'pending' ORDER BY seq").all().map((r) => ({
      seq: num(r.seq),
      kind: r.kind as OpKind,
      folder: String(r.folder),
      args: JSON.parse(String(r.args)) as OpArgs,
      attempts: num(r.attempts)
    }))
  }

  count(): number {
    return num(this.cache.statement("SELECT COUNT(*) AS n FROM ops WHERE state = 'pending'").get()?.n)
  }

  isPending(seq: number): boolean {
    return this.cache.statement("SELECT 1 AS x FROM ops WHERE seq = ? AND state = 'pending'").get(seq) !== undefined
  }

  /** done: applied; dropped: the messages were gone on the server (nothing to do). Finished rows are deleted. */
  finish(seq: number): void {
    this.cache.statement('DELETE FROM ops WHERE seq = ?').run(seq)
  }

  /** A failure that may pass (connection lost): kept pending with the reason. */
  retryLater(seq: number, reason: string): void {
    this.cache.statement('UPDATE ops SET attempts = attempts + 1, last_error = ? WHERE seq = ?').run(reason, seq)
  }

  /** A failure that will not pass (server refused): parked as failed so later ops still run; the next sync restores the server's state. */
  fail(seq: number, reason: string): void {
    this.cache.statement("UPDATE ops SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE seq = ?").run(reason, seq)
  }
}
