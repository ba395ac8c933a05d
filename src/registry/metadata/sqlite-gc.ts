import type { Digest } from '../../core/digest.js';
import type { SqliteDatabase } from './sqlite-database.js';
import type { BlobCandidate, GcRunRecord, GcStore } from './store.js';

// Manifests reachable from a tag, through index entries, or as referrers of a
// reachable manifest (signatures and SBOMs live as long as their subject).
const UNREACHABLE_MANIFESTS = `
  WITH RECURSIVE live(repository_id, digest) AS (
    SELECT repository_id, manifest_digest FROM tags
    UNION
    SELECT r.repository_id, r.child_digest FROM manifest_references r
      JOIN live l ON r.repository_id = l.repository_id AND r.manifest_digest = l.digest
      WHERE r.kind = 'manifest'
    UNION
    SELECT m.repository_id, m.digest FROM manifests m
      JOIN live l ON m.repository_id = l.repository_id AND m.subject_digest = l.digest
  )
  SELECT m.repository_id AS repositoryId, m.digest AS digest FROM manifests m
  WHERE m.created_at < ?
    AND NOT EXISTS (SELECT 1 FROM live l WHERE l.repository_id = m.repository_id AND l.digest = m.digest)`;

const UNREFERENCED_LINKS = `
  SELECT b.repository_id AS repositoryId, b.digest AS digest FROM repository_blobs b
  WHERE b.linked_at < ?
    AND NOT EXISTS (SELECT 1 FROM manifest_references r
      WHERE r.repository_id = b.repository_id AND r.child_digest = b.digest AND r.kind = 'blob')`;

const UNREFERENCED_BLOBS = `
  SELECT digest, size FROM blobs b
  WHERE b.state IN ('present', 'pending') AND b.touched_at < ?
    AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest)
    AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest AND r.kind = 'blob')`;

interface RepositoryDigest {
  repositoryId: number;
  digest: string;
}

/** The GC queries on SQLite; each sweep is one immediate transaction. */
export function createSqliteGcStore(db: SqliteDatabase): GcStore {
  const unreachableManifests = db.prepare<[number], RepositoryDigest>(UNREACHABLE_MANIFESTS);
  const deleteManifest = db.prepare<[number, string]>(
    'DELETE FROM manifests WHERE repository_id = ? AND digest = ?',
  );
  const unreferencedLinks = db.prepare<[number], RepositoryDigest>(UNREFERENCED_LINKS);
  const deleteLink = db.prepare<[number, string]>(
    'DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?',
  );
  const unreferencedBlobs = db.prepare<[number], BlobCandidate>(UNREFERENCED_BLOBS);
  const markDeleting = db.prepare<[string]>("UPDATE blobs SET state = 'deleting' WHERE digest = ?");
  const forget = db.prepare<[string]>("DELETE FROM blobs WHERE digest = ? AND state = 'deleting'");
  const deleting = db.prepare<[], { digest: string }>("SELECT digest FROM blobs WHERE state = 'deleting'");
  const hasBlob = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM blobs WHERE digest = ?');
  const insertRun = db.prepare<[number, number, number, number, number, number, number]>(
    `INSERT INTO gc_runs (started_at, finished_at, dry_run, manifests_deleted, links_deleted, blobs_deleted, bytes_freed)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );

  const sweep = (
    select: () => RepositoryDigest[],
    remove: (row: RepositoryDigest) => void,
    dryRun: boolean,
  ) =>
    db
      .transaction(() => {
        const rows = select();
        if (!dryRun) for (const row of rows) remove(row);
        return rows.length;
      })
      .immediate();

  return {
    async sweepUntaggedManifests(cutoff, dryRun) {
      return sweep(
        () => unreachableManifests.all(cutoff),
        (row) => deleteManifest.run(row.repositoryId, row.digest),
        dryRun,
      );
    },
    async sweepLinks(cutoff, dryRun) {
      return sweep(
        () => unreferencedLinks.all(cutoff),
        (row) => deleteLink.run(row.repositoryId, row.digest),
        dryRun,
      );
    },
    async markUnreferencedBlobs(cutoff, dryRun) {
      return db
        .transaction(() => {
          const rows = unreferencedBlobs.all(cutoff);
          if (!dryRun) for (const row of rows) markDeleting.run(row.digest);
          return rows;
        })
        .immediate();
    },
    async forgetBlobs(digests: readonly Digest[]) {
      db.transaction(() => {
        for (const digest of digests) forget.run(digest);
      }).immediate();
    },
    async listDeletingBlobs() {
      return deleting.all().map((row) => row.digest as Digest);
    },
    async hasBlobRecord(digest) {
      return hasBlob.get(digest) !== undefined;
    },
    async recordGcRun(run: GcRunRecord) {
      insertRun.run(
        run.startedAt,
        run.finishedAt,
        run.dryRun ? 1 : 0,
        run.manifestsDeleted,
        run.linksDeleted,
        run.blobsDeleted,
        run.bytesFreed,
      );
    },
  };
}
