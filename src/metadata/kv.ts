import type { Statement } from 'better-sqlite3';
import type { StoreContext } from './context.js';

/**
 * A generic key/value table, grouped by namespace (one per module), for state
 * too small to deserve its own table. Values are strings; store JSON if needed.
 */
export class KeyValueStore {
  private readonly sql: {
    get: Statement<[string, string], { value: string }>;
    set: Statement<[string, string, string]>;
    delete: Statement<[string, string]>;
    list: Statement<[string], { key: string; value: string }>;
  };

  constructor(ctx: StoreContext) {
    const db = ctx.db;
    this.sql = {
      get: db.prepare('SELECT value FROM kv WHERE namespace = ? AND key = ?'),
      set: db.prepare(
        'INSERT INTO kv (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value',
      ),
      delete: db.prepare('DELETE FROM kv WHERE namespace = ? AND key = ?'),
      list: db.prepare('SELECT key, value FROM kv WHERE namespace = ? ORDER BY key'),
    };
  }

  /** The value, or undefined when the key is not set. */
  get(namespace: string, key: string): string | undefined {
    return this.sql.get.get(namespace, key)?.value;
  }

  set(namespace: string, key: string, value: string): void {
    this.sql.set.run(namespace, key, value);
  }

  /** Removes a key; returns whether it was set. */
  delete(namespace: string, key: string): boolean {
    return this.sql.delete.run(namespace, key).changes > 0;
  }

  /** Every entry of a namespace, by key. */
  list(namespace: string): Map<string, string> {
    return new Map(this.sql.list.all(namespace).map((row) => [row.key, row.value]));
  }
}
