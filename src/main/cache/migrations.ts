// The cache schema as a list of migrations; schema_version records how far a database file has come.
import type { CacheDb } from './sqlite-types'

export interface Migration {
  version: number
  /** What this step adds, in words (kept in schema_version). */
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'folders and message headers',
    sql: `
      CREATE TABLE folders (
        path TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent TEXT,
        delimiter TEXT,
        role TEXT,
        selectable INTEGER NOT NULL DEFAULT 1,
        uidvalidity INTEGER,
        uidnext INTEGER,
        highest_modseq TEXT,
        total INTEGER NOT NULL DEFAULT 0,
        synced_at INTEGER
      );
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        uid INTEGER NOT NULL,
        uidvalidity INTEGER NOT NULL,
        modseq TEXT,
        flags TEXT NOT NULL DEFAULT '',
        seen INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        subject TEXT NOT NULL DEFAULT '',
        from_display TEXT NOT NULL DEFAULT '',
        from_address TEXT,
        to_list TEXT NOT NULL DEFAULT '[]',
        cc_list TEXT NOT NULL DEFAULT '[]',
        date INTEGER,
        message_id TEXT,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '[]',
        size INTEGER NOT NULL DEFAULT 0,
        has_attachments INTEGER NOT NULL DEFAULT 0,
        preview TEXT,
        body_path TEXT,
        UNIQUE (folder, uid)
      );
      CREATE INDEX messages_folder_date ON messages (folder, date DESC, uid DESC);
      CREATE INDEX messages_message_id ON messages (message_id);
    `
  },
  {
    version: 2,
    description: 'full-text index (FTS5) over from, to, subject and body text',
    sql: `
      CREATE VIRTUAL TABLE messages_fts USING fts5(from_text, to_text, subject, body, tokenize = 'unicode61 remove_diacritics 2');
      INSERT INTO messages_fts (rowid, from_text, to_text, subject, body)
        SELECT id, from_display, to_list || ' ' || cc_list, subject, '' FROM messages;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
      END;
    `
  },
  {
    version: 3,
    description: 'threads and the outbox of offline operations',
    sql: `
      ALTER TABLE messages ADD COLUMN thread_id TEXT;
      ALTER TABLE messages ADD COLUMN subject_key TEXT;
      CREATE INDEX messages_thread ON messages (thread_id);
      CREATE INDEX messages_subject_key ON messages (subject_key);
      CREATE INDEX messages_folder_uid ON messages (folder, uid DESC);
      CREATE TABLE ops (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        folder TEXT NOT NULL,
        args TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        created INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      );
      CREATE INDEX ops_pending ON ops (state, seq);
    `
  }
]

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0)

export function schemaVersion(cache: CacheDb): number {
  cache.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const row = cache.db.prepare('SELECT MAX(version) AS v FROM schema_version').get()
  return Number(row?.v ?? 0)
}

/**
 * Applies every migration above the file's version, each in its own transaction (a failing step leaves the
 * file at the version before it). A file from a newer Mailroom (version above ours) is refused, not touched.
 */
export function migrate(cache: CacheDb, upTo: number = LATEST_SCHEMA_VERSION): number {
  let current = schemaVersion(cache)
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(`the cache has schema version ${current}, newer than this Mailroom knows (${LATEST_SCHEMA_VERSION}); delete the file to rebuild it`)
  }
  for (const step of MIGRATIONS) {
    if (step.version <= current || step.version > upTo) continue
    cache.transaction(() => {
      cache.db.exec(step.sql)
      cache.db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(step.version, step.description, Date.now())
    })
    current = step.version
  }
  return current
}
