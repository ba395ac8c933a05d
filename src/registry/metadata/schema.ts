/**
 * The registry database, version by version (SQLite `PRAGMA user_version`).
 *
 *     repositories         id, name                       one row per repository that ever held content
 *     blobs                digest → size, state, touched_at
 *                          state: pending (claimed by a push, file not yet in place; unreadable)
                          | present | deleting (GC holds it); touched_at: GC grace clock
 *     repository_blobs     (repository, digest) → linked_at   a blob is readable only where linked
 *     manifests            (repository, digest) → media type, artifact type, subject, annotations, bytes
 *     manifest_references  (repository, manifest, kind, child)  kind: blob | manifest
 *     tags                 (repository, name) → manifest digest
 *     uploads              id → repository, durable size, start and update times
 *     gc_runs              history of garbage collections
 *
 * Migrations only ever append: entry N upgrades a database at version N.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'present',
    touched_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE repository_blobs (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest TEXT NOT NULL REFERENCES blobs(digest),
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
  CREATE TABLE manifests (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    artifact_type TEXT,
    subject_digest TEXT,
    annotations TEXT,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifests_by_subject ON manifests(repository_id, subject_digest)
    WHERE subject_digest IS NOT NULL;
  CREATE TABLE manifest_references (
    repository_id INTEGER NOT NULL,
    manifest_digest TEXT NOT NULL,
    kind TEXT NOT NULL,
    child_digest TEXT NOT NULL,
    PRIMARY KEY (repository_id, manifest_digest, kind, child_digest),
    FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX manifest_references_by_child ON manifest_references(repository_id, child_digest);
  CREATE TABLE tags (
    repository_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (repository_id, name),
    FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX tags_by_manifest ON tags(repository_id, manifest_digest);
  CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    size INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE gc_runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    dry_run INTEGER NOT NULL,
    manifests_deleted INTEGER NOT NULL,
    links_deleted INTEGER NOT NULL,
    blobs_deleted INTEGER NOT NULL,
    bytes_freed INTEGER NOT NULL
  );
  `,
];
