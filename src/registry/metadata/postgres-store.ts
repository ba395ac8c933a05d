import type pg from 'pg';
import type { Digest } from '../../core/digest.js';
import { registryError } from '../errors.js';
import { openPostgresPool } from './postgres-pool.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import type {
  BlobCandidate,
  ManifestRecord,
  MetadataStore,
  Page,
  ReferrerRecord,
  StoredManifest,
  UploadRecord,
} from './store.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

// One lock for every writing transaction: they run one at a time, as SQLite's
// immediate transactions do, which is what GC's safety argument rests on
// (docs/registry.md, "Garbage collection"). Reads never take it.
export const POSTGRES_WRITER_LOCK = 0x62657274;
const WRITER_LOCK = POSTGRES_WRITER_LOCK;

const UPLOAD_COLUMNS = 'id, repository, size, started_at AS "startedAt", updated_at AS "updatedAt"';

// The GC queries, as in sqlite-gc.ts. PostgreSQL allows one recursive
// reference, so "child of a live index" and "referrer of a live subject" are
// one edge relation here.
const UNREACHABLE_MANIFESTS = `
  WITH RECURSIVE live(repository_id, digest) AS (
    SELECT repository_id, manifest_digest FROM tags
    UNION
    SELECT e.repository_id, e.digest FROM live l
      JOIN (
        SELECT repository_id, manifest_digest AS parent, child_digest AS digest
          FROM manifest_references WHERE kind = 'manifest'
        UNION ALL
        SELECT repository_id, subject_digest AS parent, digest
          FROM manifests WHERE subject_digest IS NOT NULL
      ) e ON e.repository_id = l.repository_id AND e.parent = l.digest
  )
  SELECT m.repository_id AS "repositoryId", m.digest AS digest FROM manifests m
  WHERE m.created_at < $1
    AND NOT EXISTS (SELECT 1 FROM live l WHERE l.repository_id = m.repository_id AND l.digest = m.digest)`;
const UNREFERENCED_LINKS = `
  SELECT b.repository_id AS "repositoryId", b.digest AS digest FROM repository_blobs b
  WHERE b.linked_at < $1
    AND NOT EXISTS (SELECT 1 FROM manifest_references r
      WHERE r.repository_id = b.repository_id AND r.child_digest = b.digest AND r.kind = 'blob')`;
const UNREFERENCED_BLOBS = `
  SELECT digest, size FROM blobs b
  WHERE b.state IN ('present', 'pending') AND b.touched_at < $1
    AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest)
    AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest AND r.kind = 'blob')`;

/**
 * The metadata store on PostgreSQL (`database.url`): the same contract and
 * schema as the SQLite store, so several registry replicas can share one
 * database (and one blob store). Migrates the schema on open.
 */
export async function createPostgresMetadataStore(url: string): Promise<MetadataStore> {
  const pool = openPostgresPool(url);
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const write = async <T>(work: (client: Queryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }

  const repositoryId = async (db: Queryable, name: string) =>
    (await db.query<{ id: number }>('SELECT id FROM repositories WHERE name = $1', [name])).rows[0]?.id;
  const ensureRepository = async (db: Queryable, name: string, now: number) => {
    await db.query(
      'INSERT INTO repositories (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
      [name, now],
    );
    return (await repositoryId(db, name)) as number;
  };
  const blobState = async (db: Queryable, digest: string) =>
    (await db.query<{ state: string }>('SELECT state FROM blobs WHERE digest = $1', [digest])).rows[0]?.state;
  const sweep = (select: string, remove: string, cutoff: number, dryRun: boolean) =>
    write(async (db) => {
      const rows = (await db.query<{ repositoryId: number; digest: string }>(select, [cutoff])).rows;
      if (!dryRun) for (const row of rows) await db.query(remove, [row.repositoryId, row.digest]);
      return rows.length;
    });

  return {
    async listRepositories(page: Page) {
      const rows = await query<{ name: string }>(
        'SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2',
        [page.last ?? '', page.limit],
      );
      return rows.map((row) => row.name);
    },
    async hasRepository(name) {
      return (await repositoryId(pool, name)) !== undefined;
    },

    async findLinkedBlob(repository, digest) {
      const rows = await query<{ size: number }>(
        `SELECT b.size AS size FROM repository_blobs l
           JOIN repositories r ON r.id = l.repository_id
           JOIN blobs b ON b.digest = l.digest
         WHERE r.name = $1 AND l.digest = $2 AND b.state = 'present'`,
        [repository, digest],
      );
      return rows[0];
    },
    async findBlob(digest) {
      return (
        await query<{ size: number }>("SELECT size FROM blobs WHERE digest = $1 AND state = 'present'", [
          digest,
        ])
      )[0];
    },
    async touchBlob(repository, digest, now) {
      await write(async (db) => {
        await db.query('UPDATE blobs SET touched_at = $1 WHERE digest = $2', [now, digest]);
        await db.query(
          `UPDATE repository_blobs SET linked_at = $1
           WHERE digest = $2 AND repository_id = (SELECT id FROM repositories WHERE name = $3)`,
          [now, digest, repository],
        );
      });
    },
    async claimBlob(digest, size, now) {
      return write(async (db) => {
        if ((await blobState(db, digest)) === 'deleting') return false;
        await db.query(
          `INSERT INTO blobs (digest, size, state, touched_at) VALUES ($1, $2, 'pending', $3)
           ON CONFLICT (digest) DO UPDATE SET touched_at = excluded.touched_at`,
          [digest, size, now],
        );
        return true;
      });
    },
    async confirmBlob(digest) {
      await pool.query("UPDATE blobs SET state = 'present' WHERE digest = $1 AND state = 'pending'", [
        digest,
      ]);
    },
    async linkBlob(repository, digest, now) {
      await write(async (db) => {
        if ((await blobState(db, digest)) !== 'present')
          throw registryError('BLOB_UNKNOWN', { detail: { digest } });
        await db.query(
          `INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES ($1, $2, $3)
           ON CONFLICT (repository_id, digest) DO UPDATE SET linked_at = excluded.linked_at`,
          [await ensureRepository(db, repository, now), digest, now],
        );
        await db.query('UPDATE blobs SET touched_at = $1 WHERE digest = $2', [now, digest]);
      });
    },
    async unlinkBlob(repository, digest) {
      const result = await pool.query(
        'DELETE FROM repository_blobs WHERE digest = $1 AND repository_id = (SELECT id FROM repositories WHERE name = $2)',
        [digest, repository],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async createUpload(upload: UploadRecord) {
      await pool.query(
        'INSERT INTO uploads (id, repository, size, started_at, updated_at) VALUES ($1, $2, $3, $4, $5)',
        [upload.id, upload.repository, upload.size, upload.startedAt, upload.updatedAt],
      );
    },
    async findUpload(id) {
      return (await query<UploadRecord>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = $1`, [id]))[0];
    },
    async setUploadSize(id, size, now) {
      await pool.query('UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3', [size, now, id]);
    },
    async deleteUpload(id) {
      await pool.query('DELETE FROM uploads WHERE id = $1', [id]);
    },
    async listUploads(before?: number) {
      return query<UploadRecord>(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE updated_at < $1 ORDER BY updated_at`,
        [before ?? Number.MAX_SAFE_INTEGER],
      );
    },

    async putManifest(record: ManifestRecord, tag: string | undefined, now: number) {
      await write(async (db) => {
        const repoId = await ensureRepository(db, record.repository, now);
        for (const digest of record.blobs) {
          const linked = await db.query(
            `SELECT 1 FROM repository_blobs l JOIN blobs b ON b.digest = l.digest
             WHERE l.repository_id = $1 AND l.digest = $2 AND b.state = 'present'`,
            [repoId, digest],
          );
          if (linked.rowCount === 0) throw registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest } });
        }
        for (const digest of record.manifests) {
          const known = await db.query('SELECT 1 FROM manifests WHERE repository_id = $1 AND digest = $2', [
            repoId,
            digest,
          ]);
          if (known.rowCount === 0) throw registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest } });
        }
        await db.query(
          `INSERT INTO manifests (repository_id, digest, media_type, artifact_type, subject_digest, annotations, content, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = excluded.created_at`,
          [
            repoId,
            record.digest,
            record.mediaType,
            record.artifactType ?? null,
            record.subject ?? null,
            record.annotations ? JSON.stringify(record.annotations) : null,
            record.content,
            now,
          ],
        );
        const references = [
          ...record.blobs.map((digest) => ['blob', digest]),
          ...record.manifests.map((digest) => ['manifest', digest]),
        ];
        for (const [kind, child] of references) {
          await db.query(
            `INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
            [repoId, record.digest, kind, child],
          );
        }
        if (tag !== undefined) {
          await db.query(
            `INSERT INTO tags (repository_id, name, manifest_digest, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (repository_id, name) DO UPDATE SET manifest_digest = excluded.manifest_digest, updated_at = excluded.updated_at`,
            [repoId, tag, record.digest, now],
          );
        }
      });
    },
    async findManifest(repository, digest) {
      const rows = await query<StoredManifest>(
        `SELECT m.digest AS digest, m.media_type AS "mediaType", m.content AS content
         FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = $1 AND m.digest = $2`,
        [repository, digest],
      );
      return rows[0];
    },
    async resolveTag(repository, tag) {
      const rows = await query<{ digest: Digest }>(
        `SELECT t.manifest_digest AS digest FROM tags t JOIN repositories r ON r.id = t.repository_id
         WHERE r.name = $1 AND t.name = $2`,
        [repository, tag],
      );
      return rows[0]?.digest;
    },
    async deleteManifest(repository, digest) {
      const id = await repositoryId(pool, repository);
      if (id === undefined) return false;
      const result = await pool.query('DELETE FROM manifests WHERE repository_id = $1 AND digest = $2', [
        id,
        digest,
      ]);
      return (result.rowCount ?? 0) > 0;
    },
    async deleteTag(repository, tag) {
      const id = await repositoryId(pool, repository);
      if (id === undefined) return false;
      const result = await pool.query('DELETE FROM tags WHERE repository_id = $1 AND name = $2', [id, tag]);
      return (result.rowCount ?? 0) > 0;
    },
    async listTags(repository, page) {
      const id = await repositoryId(pool, repository);
      if (id === undefined) return undefined;
      const rows = await query<{ name: string }>(
        'SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3',
        [id, page.last ?? '', page.limit],
      );
      return rows.map((row) => row.name);
    },
    async listReferrers(repository, subject): Promise<ReferrerRecord[]> {
      const id = await repositoryId(pool, repository);
      if (id === undefined) return [];
      const rows = await query<{
        digest: Digest;
        mediaType: string;
        size: number;
        artifactType: string | null;
        annotations: string | null;
      }>(
        `SELECT digest, media_type AS "mediaType", length(content) AS size, artifact_type AS "artifactType", annotations
         FROM manifests WHERE repository_id = $1 AND subject_digest = $2 ORDER BY digest`,
        [id, subject],
      );
      return rows.map((row) => ({
        digest: row.digest,
        mediaType: row.mediaType,
        size: row.size,
        ...(row.artifactType ? { artifactType: row.artifactType } : {}),
        ...(row.annotations ? { annotations: JSON.parse(row.annotations) as Record<string, string> } : {}),
      }));
    },

    async sweepUntaggedManifests(cutoff, dryRun) {
      return sweep(
        UNREACHABLE_MANIFESTS,
        'DELETE FROM manifests WHERE repository_id = $1 AND digest = $2',
        cutoff,
        dryRun,
      );
    },
    async sweepLinks(cutoff, dryRun) {
      return sweep(
        UNREFERENCED_LINKS,
        'DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2',
        cutoff,
        dryRun,
      );
    },
    async markUnreferencedBlobs(cutoff, dryRun) {
      return write(async (db) => {
        const rows = (await db.query<BlobCandidate>(UNREFERENCED_BLOBS, [cutoff])).rows;
        if (!dryRun) {
          for (const row of rows)
            await db.query("UPDATE blobs SET state = 'deleting' WHERE digest = $1", [row.digest]);
        }
        return rows;
      });
    },
    async forgetBlobs(digests) {
      await write(async (db) => {
        for (const digest of digests)
          await db.query("DELETE FROM blobs WHERE digest = $1 AND state = 'deleting'", [digest]);
      });
    },
    async listDeletingBlobs() {
      return (await query("SELECT digest FROM blobs WHERE state = 'deleting'", [])).map(
        (row) => (row as { digest: string }).digest as Digest,
      );
    },
    async hasBlobRecord(digest) {
      return (await query('SELECT 1 FROM blobs WHERE digest = $1', [digest])).length > 0;
    },
    async recordGcRun(run) {
      await pool.query(
        `INSERT INTO gc_runs (started_at, finished_at, dry_run, manifests_deleted, links_deleted, blobs_deleted, bytes_freed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          run.startedAt,
          run.finishedAt,
          run.dryRun,
          run.manifestsDeleted,
          run.linksDeleted,
          run.blobsDeleted,
          run.bytesFreed,
        ],
      );
    },

    async storageUsage() {
      const rows = await query<{ blobs: number; bytes: number | null }>(
        "SELECT count(*) AS blobs, sum(size)::bigint AS bytes FROM blobs WHERE state = 'present'",
      );
      return { blobs: rows[0]?.blobs ?? 0, bytes: rows[0]?.bytes ?? 0 };
    },
    async close() {
      await pool.end();
    },
  };
}

/** Brings the schema up to date, once, even with several replicas starting together. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS berth_schema_version (version INTEGER NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM berth_schema_version')).rows[0];
    const version = row?.version ?? 0;
    if (version > POSTGRES_MIGRATIONS.length) {
      throw new Error(`registry database is at schema version ${version}, newer than this berth-registry`);
    }
    for (let next = version; next < POSTGRES_MIGRATIONS.length; next++) {
      await client.query(POSTGRES_MIGRATIONS[next] ?? '');
    }
    if (!row)
      await client.query('INSERT INTO berth_schema_version (version) VALUES ($1)', [
        POSTGRES_MIGRATIONS.length,
      ]);
    else await client.query('UPDATE berth_schema_version SET version = $1', [POSTGRES_MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
