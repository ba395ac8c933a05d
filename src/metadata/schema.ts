/**
 * The metadata database schema and its migrations (after containerd's
 * `core/metadata/buckets.go` and `migrations.go`). One SQLite file; its version
 * is `PRAGMA user_version`. Times are milliseconds since the epoch; labels are
 * JSON objects of strings.
 *
 * ```
 * version 1
 * ├── images                  name → target, one row per tag or digest reference
 * │   ├── name          TEXT PK    normalised: docker.io/library/busybox:latest
 * │   ├── target        TEXT       JSON OCI descriptor (manifest or index)
 * │   ├── target_digest TEXT       target.digest, indexed: GC root, lookup by id
 * │   ├── labels        TEXT       JSON
 * │   ├── created_at    INTEGER
 * │   └── updated_at    INTEGER
 * ├── leases                  protect work in progress (pulls, builds) from GC
 * │   ├── id            TEXT PK
 * │   ├── created_at    INTEGER
 * │   ├── expires_at    INTEGER NULL   NULL: until deleted
 * │   └── labels        TEXT       JSON
 * ├── content_refs            owner → blob edges; GC marks along them
 * │   ├── owner_kind    TEXT       image | container | lease | content | snapshot
 * │   ├── owner_id      TEXT       image name, container id, lease id, digest, snapshotter/key
 * │   └── digest        TEXT       sha256:…        PK (owner_kind, owner_id, digest)
 * ├── snapshot_refs           owner → snapshot edges
 * │   ├── owner_kind    TEXT
 * │   ├── owner_id      TEXT
 * │   ├── snapshotter   TEXT
 * │   └── key           TEXT                       PK (owner_kind, owner_id, snapshotter, key)
 * └── kv                      small settings and state for modules that need no table yet
 *     ├── namespace     TEXT
 *     ├── key           TEXT                       PK (namespace, key)
 *     └── value         TEXT
 * ```
 *
 * Owners of kind image, container and lease (unexpired) are GC roots; content
 * and snapshot owners only pass liveness on to what they reference.
 */
import type { Database } from 'better-sqlite3';
import { failedPrecondition } from '../core/errors.js';

/** A step from version `version - 1` to `version`. Never edit one that has shipped; add another. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database): void;
}

/** Every migration, in order. The last one's version is the schema version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'images, leases, content and snapshot references, key/value',
    up(db) {
      db.exec(`
        CREATE TABLE images (
          name TEXT PRIMARY KEY NOT NULL,
          target TEXT NOT NULL,
          target_digest TEXT NOT NULL,
          labels TEXT NOT NULL DEFAULT '{}',
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX images_by_target ON images (target_digest);

        CREATE TABLE leases (
          id TEXT PRIMARY KEY NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER,
          labels TEXT NOT NULL DEFAULT '{}'
        ) STRICT;

        CREATE TABLE content_refs (
          owner_kind TEXT NOT NULL,
          owner_id TEXT NOT NULL,
          digest TEXT NOT NULL,
          PRIMARY KEY (owner_kind, owner_id, digest)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX content_refs_by_digest ON content_refs (digest);

        CREATE TABLE snapshot_refs (
          owner_kind TEXT NOT NULL,
          owner_id TEXT NOT NULL,
          snapshotter TEXT NOT NULL,
          key TEXT NOT NULL,
          PRIMARY KEY (owner_kind, owner_id, snapshotter, key)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX snapshot_refs_by_snapshot ON snapshot_refs (snapshotter, key);

        CREATE TABLE kv (
          namespace TEXT NOT NULL,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (namespace, key)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the database up to {@link SCHEMA_VERSION}, all in one transaction, so
 * a crash mid-migration leaves the old version intact. Refuses a database
 * written by a newer Berth rather than guess at its meaning.
 */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true });
  const from = typeof current === 'number' ? current : 0;
  if (from > SCHEMA_VERSION) {
    throw failedPrecondition(
      `metadata database schema version ${from} is newer than this berthd supports (${SCHEMA_VERSION})`,
    );
  }
  const pending = MIGRATIONS.filter((migration) => migration.version > from);
  if (pending.length === 0) return;
  db.transaction(() => {
    for (const migration of pending) {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }
  })();
}
