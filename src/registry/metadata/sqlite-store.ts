import type { Digest } from '../../core/digest.js';
import { registryError } from '../errors.js';
import { openRegistryDatabase, type SqliteDatabase } from './sqlite-database.js';
import { createSqliteGcStore } from './sqlite-gc.js';
import { createSqliteManifestQueries } from './sqlite-manifests.js';
import type { MetadataStore, UploadRecord } from './store.js';

interface UploadRow {
  id: string;
  repository: string;
  size: number;
  startedAt: number;
  updatedAt: number;
}

const UPLOAD_COLUMNS = 'id, repository, size, started_at AS startedAt, updated_at AS updatedAt';

/**
 * The metadata store on SQLite (better-sqlite3). `path` is a database file,
 * or ':memory:' for a private in-memory database in tests.
 */
export function createSqliteMetadataStore(
  path: string,
): MetadataStore & { readonly database: SqliteDatabase } {
  const db = openRegistryDatabase(path);
  const repositories = createRepositoryQueries(db);
  return {
    // Governance keeps its own tables in the same database.
    database: db,
    ...repositories,
    ...createBlobQueries(db, repositories.ensureRepository),
    ...createUploadQueries(db),
    ...createSqliteManifestQueries(db, repositories.ensureRepository),
    ...createSqliteGcStore(db),
    async storageUsage() {
      const row = db
        .prepare<[], { blobs: number; bytes: number | null }>(
          "SELECT count(*) AS blobs, sum(size) AS bytes FROM blobs WHERE state = 'present'",
        )
        .get();
      return { blobs: row?.blobs ?? 0, bytes: row?.bytes ?? 0 };
    },
    async close() {
      db.close();
    },
  };
}

function createRepositoryQueries(db: SqliteDatabase) {
  const list = db.prepare<[string, number], { name: string }>(
    'SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?',
  );
  const find = db.prepare<[string], { id: number }>('SELECT id FROM repositories WHERE name = ?');
  const insert = db.prepare<[string, number]>(
    'INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING',
  );
  /** The repository's id, creating it; call inside a transaction. */
  const ensureRepository = (name: string, now: number): number => {
    const existing = find.get(name);
    if (existing) return existing.id;
    insert.run(name, now);
    return find.get(name)!.id;
  };
  return {
    ensureRepository,
    async listRepositories(page: { last?: string; limit: number }) {
      return list.all(page.last ?? '', page.limit).map((row) => row.name);
    },
    async hasRepository(name: string) {
      return find.get(name) !== undefined;
    },
  };
}

function createBlobQueries(db: SqliteDatabase, ensureRepository: (name: string, now: number) => number) {
  const findLinked = db.prepare<[string, string], { size: number }>(
    `SELECT b.size AS size FROM repository_blobs l
       JOIN repositories r ON r.id = l.repository_id
       JOIN blobs b ON b.digest = l.digest
     WHERE r.name = ? AND l.digest = ? AND b.state = 'present'`,
  );
  const find = db.prepare<[string], { size: number }>(
    "SELECT size FROM blobs WHERE digest = ? AND state = 'present'",
  );
  const touch = db.prepare<[number, string]>('UPDATE blobs SET touched_at = ? WHERE digest = ?');
  const touchLink = db.prepare<[number, string, string]>(
    `UPDATE repository_blobs SET linked_at = ?
     WHERE digest = ? AND repository_id = (SELECT id FROM repositories WHERE name = ?)`,
  );
  const touchTx = db.transaction((repository: string, digest: string, now: number) => {
    touch.run(now, digest);
    touchLink.run(now, digest, repository);
  });
  const state = db.prepare<[string], { state: string }>('SELECT state FROM blobs WHERE digest = ?');
  const upsert = db.prepare<[string, number, number]>(
    `INSERT INTO blobs (digest, size, state, touched_at) VALUES (?, ?, 'pending', ?)
     ON CONFLICT(digest) DO UPDATE SET touched_at = excluded.touched_at`,
  );
  const confirm = db.prepare<[string]>(
    "UPDATE blobs SET state = 'present' WHERE digest = ? AND state = 'pending'",
  );
  const link = db.prepare<[number, string, number]>(
    `INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES (?, ?, ?)
     ON CONFLICT(repository_id, digest) DO UPDATE SET linked_at = excluded.linked_at`,
  );
  const unlink = db.prepare<[string, string]>(
    'DELETE FROM repository_blobs WHERE digest = ? AND repository_id = (SELECT id FROM repositories WHERE name = ?)',
  );
  const claim = db.transaction((digest: string, size: number, now: number) => {
    if (state.get(digest)?.state === 'deleting') return false;
    upsert.run(digest, size, now);
    return true;
  });
  const linkTx = db.transaction((repository: string, digest: string, now: number) => {
    if (state.get(digest)?.state !== 'present') throw registryError('BLOB_UNKNOWN', { detail: { digest } });
    link.run(ensureRepository(repository, now), digest, now);
    touch.run(now, digest);
  });
  return {
    async findLinkedBlob(repository: string, digest: Digest) {
      return findLinked.get(repository, digest);
    },
    async findBlob(digest: Digest) {
      return find.get(digest);
    },
    async touchBlob(repository: string, digest: Digest, now: number) {
      touchTx.immediate(repository, digest, now);
    },
    async claimBlob(digest: Digest, size: number, now: number) {
      return claim.immediate(digest, size, now);
    },
    async confirmBlob(digest: Digest) {
      confirm.run(digest);
    },
    async linkBlob(repository: string, digest: Digest, now: number) {
      linkTx.immediate(repository, digest, now);
    },
    async unlinkBlob(repository: string, digest: Digest) {
      return unlink.run(digest, repository).changes > 0;
    },
  };
}

function createUploadQueries(db: SqliteDatabase) {
  const insert = db.prepare<[string, string, number, number, number]>(
    'INSERT INTO uploads (id, repository, size, started_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  const find = db.prepare<[string], UploadRow>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ?`);
  const setSize = db.prepare<[number, number, string]>(
    'UPDATE uploads SET size = ?, updated_at = ? WHERE id = ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM uploads WHERE id = ?');
  const listBefore = db.prepare<[number], UploadRow>(
    `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE updated_at < ? ORDER BY updated_at`,
  );
  return {
    async createUpload(upload: UploadRecord) {
      insert.run(upload.id, upload.repository, upload.size, upload.startedAt, upload.updatedAt);
    },
    async findUpload(id: string) {
      return find.get(id);
    },
    async setUploadSize(id: string, size: number, now: number) {
      setSize.run(size, now, id);
    },
    async deleteUpload(id: string) {
      remove.run(id);
    },
    async listUploads(before?: number) {
      return listBefore.all(before ?? Number.MAX_SAFE_INTEGER);
    },
  };
}
