import type { Statement } from 'better-sqlite3';
import type pg from 'pg';
import { openPostgresPool } from '../metadata/postgres-pool.js';
import { POSTGRES_WRITER_LOCK } from '../metadata/postgres-store.js';
import type { SqliteDatabase } from '../metadata/sqlite-database.js';

/**
 * The one handle the governance tables are used through, on SQLite or on
 * PostgreSQL. Statements are written once, with `?` placeholders, in the SQL
 * both engines accept (RETURNING, ON CONFLICT … excluded, string_agg, CAST);
 * only the schema (schema.ts) differs. Promise-returning because pg is; on
 * SQLite the promises are already settled.
 */
export interface GovernanceDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a change; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `work` in one transaction: all of it commits, or none (it rolls back on a throw). */
  transaction<T>(work: (tx: GovernanceDatabase) => Promise<T>): Promise<T>;
  /** Runs statements without parameters (schema migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Governance on the registry's SQLite handle (shared with the metadata store, which closes it). */
export function sqliteGovernanceDatabase(db: SqliteDatabase): GovernanceDatabase {
  // Transactions wait for each other: their work is async, and SQLite has one
  // transaction per connection. Statements outside a transaction are single
  // statements, atomic by themselves. better-sqlite3 answers at once, so a
  // transaction's awaits settle as microtasks and no I/O callback runs inside
  // it; work must use `tx` (a nested transaction joins the outer one), since
  // `transaction` on the outer handle would wait for the one that is running.
  let queue: Promise<unknown> = Promise.resolve();
  // Statements are prepared once: preparing on every authorization decision cost
  // more than half the governed manifest GET rate. The SQL texts are a small set.
  const prepared = new Map<string, Statement<unknown[], unknown>>();
  const statement = <R>(sql: string) => {
    let found = prepared.get(sql);
    if (!found) {
      if (prepared.size >= 1000) prepared.clear();
      found = db.prepare<unknown[], unknown>(sql);
      prepared.set(sql, found);
    }
    return found as Statement<unknown[], R>;
  };
  const handle: GovernanceDatabase = {
    dialect: 'sqlite',
    all: async <R>(sql: string, params: readonly unknown[] = []) => statement<R>(sql).all(...params),
    get: async <R>(sql: string, params: readonly unknown[] = []) => statement<R>(sql).get(...params),
    run: async (sql, params = []) => statement(sql).run(...params).changes,
    transaction<T>(work: (tx: GovernanceDatabase) => Promise<T>): Promise<T> {
      const result = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await work(inTransaction);
          db.exec('COMMIT');
          return value;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
      queue = result.catch(() => {});
      return result;
    },
    exec: async (sql) => {
      db.exec(sql);
    },
    close: async () => {},
  };
  // Nested transactions join the outer one.
  const inTransaction: GovernanceDatabase = { ...handle, transaction: (inner) => inner(inTransaction) };
  return handle;
}

/** `?` placeholders → `$1`, `$2`, … (governance SQL has no `?` inside literals). */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/**
 * Governance on PostgreSQL (`database.url`): its own small pool on the
 * registry's database, beside the metadata store's tables it reads (usage,
 * tags). Writing transactions take the metadata store's writer lock, so a
 * repository deleted here never races GC.
 */
export function postgresGovernanceDatabase(url: string): GovernanceDatabase {
  const pool = openPostgresPool(url);
  const on = (client: pg.Pool | pg.PoolClient): Omit<GovernanceDatabase, 'transaction' | 'close'> => ({
    dialect: 'postgres',
    all: async <R>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(numbered(sql), params as unknown[])).rows as R[],
    get: async <R>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(numbered(sql), params as unknown[])).rows[0] as R | undefined,
    run: async (sql, params = []) => (await client.query(numbered(sql), params as unknown[])).rowCount ?? 0,
    exec: async (sql) => {
      await client.query(sql);
    },
  });
  const handle: GovernanceDatabase = {
    ...on(pool),
    async transaction<T>(work: (tx: GovernanceDatabase) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [POSTGRES_WRITER_LOCK]);
        // Nested transactions join the outer one.
        const tx: GovernanceDatabase = {
          ...on(client),
          transaction: (inner) => inner(tx),
          close: handle.close,
        };
        const value = await work(tx);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  return handle;
}
