import type { Digest } from '../../core/digest.js';
import { registryError } from '../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { ManifestRecord, Page, ReferrerRecord, StoredManifest } from './store.js';

interface ReferrerRow {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType: string | null;
  annotations: string | null;
}

/** Manifest, tag and referrer queries of the SQLite metadata store. */
export function createSqliteManifestQueries(
  db: SqliteDatabase,
  ensureRepository: (name: string, now: number) => number,
) {
  const repositoryId = db.prepare<[string], { id: number }>('SELECT id FROM repositories WHERE name = ?');
  const linkedBlob = db.prepare<[number, string], { one: number }>(
    `SELECT 1 AS one FROM repository_blobs l JOIN blobs b ON b.digest = l.digest
     WHERE l.repository_id = ? AND l.digest = ? AND b.state = 'present'`,
  );
  const hasManifest = db.prepare<[number, string], { one: number }>(
    'SELECT 1 AS one FROM manifests WHERE repository_id = ? AND digest = ?',
  );
  const insertManifest = db.prepare<
    [number, string, string, string | null, string | null, string | null, Buffer, number]
  >(
    `INSERT INTO manifests (repository_id, digest, media_type, artifact_type, subject_digest, annotations, content, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(repository_id, digest) DO UPDATE SET created_at = excluded.created_at`,
  );
  const insertReference = db.prepare<[number, string, string, string]>(
    `INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest) VALUES (?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  const upsertTag = db.prepare<[number, string, string, number]>(
    `INSERT INTO tags (repository_id, name, manifest_digest, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(repository_id, name) DO UPDATE SET manifest_digest = excluded.manifest_digest, updated_at = excluded.updated_at`,
  );
  const findManifest = db.prepare<[string, string], StoredManifest>(
    `SELECT m.digest AS digest, m.media_type AS mediaType, m.content AS content
     FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = ? AND m.digest = ?`,
  );
  const resolveTag = db.prepare<[string, string], { digest: Digest }>(
    `SELECT t.manifest_digest AS digest FROM tags t JOIN repositories r ON r.id = t.repository_id
     WHERE r.name = ? AND t.name = ?`,
  );
  const deleteManifest = db.prepare<[number, string]>(
    'DELETE FROM manifests WHERE repository_id = ? AND digest = ?',
  );
  const deleteTag = db.prepare<[number, string]>('DELETE FROM tags WHERE repository_id = ? AND name = ?');
  const listTags = db.prepare<[number, string, number], { name: string }>(
    'SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?',
  );
  const referrers = db.prepare<[number, string], ReferrerRow>(
    `SELECT digest, media_type AS mediaType, length(content) AS size, artifact_type AS artifactType, annotations
     FROM manifests WHERE repository_id = ? AND subject_digest = ? ORDER BY digest`,
  );

  const requireReferences = (repoId: number, record: ManifestRecord) => {
    for (const digest of record.blobs) {
      if (!linkedBlob.get(repoId, digest))
        throw registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest } });
    }
    for (const digest of record.manifests) {
      if (!hasManifest.get(repoId, digest))
        throw registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest } });
    }
  };
  const put = db.transaction((record: ManifestRecord, tag: string | undefined, now: number) => {
    const repoId = ensureRepository(record.repository, now);
    requireReferences(repoId, record);
    insertManifest.run(
      repoId,
      record.digest,
      record.mediaType,
      record.artifactType ?? null,
      record.subject ?? null,
      record.annotations ? JSON.stringify(record.annotations) : null,
      record.content,
      now,
    );
    for (const digest of record.blobs) insertReference.run(repoId, record.digest, 'blob', digest);
    for (const digest of record.manifests) insertReference.run(repoId, record.digest, 'manifest', digest);
    if (tag !== undefined) upsertTag.run(repoId, tag, record.digest, now);
  });
  const idOf = (repository: string) => repositoryId.get(repository)?.id;

  return {
    async putManifest(record: ManifestRecord, tag: string | undefined, now: number) {
      put.immediate(record, tag, now);
    },
    async findManifest(repository: string, digest: Digest) {
      return findManifest.get(repository, digest);
    },
    async resolveTag(repository: string, tag: string) {
      return resolveTag.get(repository, tag)?.digest;
    },
    async deleteManifest(repository: string, digest: Digest) {
      const id = idOf(repository);
      return id !== undefined && deleteManifest.run(id, digest).changes > 0;
    },
    async deleteTag(repository: string, tag: string) {
      const id = idOf(repository);
      return id !== undefined && deleteTag.run(id, tag).changes > 0;
    },
    async listTags(repository: string, page: Page) {
      const id = idOf(repository);
      if (id === undefined) return undefined;
      return listTags.all(id, page.last ?? '', page.limit).map((row) => row.name);
    },
    async listReferrers(repository: string, subject: Digest): Promise<ReferrerRecord[]> {
      const id = idOf(repository);
      if (id === undefined) return [];
      return referrers.all(id, subject).map((row) => ({
        digest: row.digest,
        mediaType: row.mediaType,
        size: row.size,
        ...(row.artifactType ? { artifactType: row.artifactType } : {}),
        ...(row.annotations ? { annotations: JSON.parse(row.annotations) as Record<string, string> } : {}),
      }));
    },
  };
}
