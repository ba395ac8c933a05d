import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.js';

/** The SQLite handle the registry's stores share. */
export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the registry database and brings its schema up
 * to date. WAL lets readers run beside the single writer; `synchronous=NORMAL`
 * in WAL mode survives a process kill without losing committed transactions.
 * `path` ':memory:' gives a private in-memory database (tests).
 */
export function openRegistryDatabase(path: string): SqliteDatabase {
  // Startup only: the server does not serve before the database is open.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`registry database is at schema version ${version}, newer than this berth-registry`);
  }
  for (let next = version; next < MIGRATIONS.length; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next] ?? '');
      db.pragma(`user_version = ${next + 1}`);
    }).immediate();
  }
}
