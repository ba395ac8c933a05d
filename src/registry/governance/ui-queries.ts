import type { SqliteDatabase } from '../metadata/sqlite-database.js';
import type { Project } from './store.js';

/**
 * Paged reads for the web UI's long lists, kept apart from the governance
 * store so its other back ends can grow their own versions.
 *
 * Every list is LIMIT/OFFSET over an index, and its count is a count over the
 * same index: a project's repositories are the name range
 * [`PROJECT/`, `PROJECT0`) (`0` is the byte after `/`), which the UNIQUE
 * index on repositories.name answers without reading other projects' rows.
 */

/** Which projects a caller sees: all (system admin), public ones plus a user's, or a fixed list. */
export type Visibility = { all: true } | { user: string | undefined } | { names: string[] };

export interface PageOf<T> {
  total: number;
  rows: T[];
}

export interface ProjectRowView {
  project: Project;
  repositories: number;
}

export interface RepositoryRowView {
  name: string;
  tags: number;
  artifacts: number;
  /** Last manifest push, ms; null for a repository without manifests. */
  pushedAt: number | null;
}

export interface ArtifactRowView {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  tags: string[];
  pushedAt: number;
}

export interface TagView {
  tag: string;
  pushedAt: number;
  pulledAt: number | null;
}

export interface GcRunView {
  id: number;
  startedAt: number;
  finishedAt: number;
  dryRun: boolean;
  manifestsDeleted: number;
  linksDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
}

export interface DeliveryView {
  id: number;
  event: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

interface ProjectRow {
  id: number;
  name: string;
  public: number;
  storage_limit: number;
  created_at: number;
  settings: string;
  repositories: number;
}

/** `%`, `_` and `\` are literal in a search: LIKE … ESCAPE '\'. */
const likeContaining = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const REPOSITORY_COLUMNS = `r.name,
  (SELECT count(*) FROM tags t WHERE t.repository_id = r.id) AS tags,
  (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS artifacts,
  (SELECT max(m.created_at) FROM manifests m WHERE m.repository_id = r.id) AS pushedAt`;

export function createUiQueries(db: SqliteDatabase) {
  /** A WHERE fragment on projects `p` for a caller's visibility, and its arguments. */
  const visible = (who: Visibility): [string, unknown[]] => {
    if ('all' in who) return ['1', []];
    if ('names' in who)
      return ['(p.public = 1 OR p.name IN (SELECT value FROM json_each(?)))', [JSON.stringify(who.names)]];
    if (who.user === undefined) return ['p.public = 1', []];
    return [
      `(p.public = 1 OR p.id IN (SELECT m.project_id FROM members m JOIN users u ON u.id = m.user_id
        WHERE u.name = ?))`,
      [who.user],
    ];
  };
  const searchFrom = (who: Visibility, search: string): [string, unknown[]] => {
    const [where, args] = visible(who);
    return [
      `FROM projects p CROSS JOIN repositories r ON r.name >= p.name || '/' AND r.name < p.name || '0'
        WHERE ${where} AND r.name LIKE ? ESCAPE '\\'`,
      [...args, likeContaining(search)],
    ];
  };
  const count = (sql: string, args: unknown[]) =>
    db.prepare<unknown[], { n: number }>(sql).get(...args)?.n ?? 0;

  return {
    /** Projects the caller sees, by name, optionally those whose name contains `search`. */
    projects(who: Visibility, search: string, limit: number, offset: number): PageOf<ProjectRowView> {
      const [where, args] = visible(who);
      const filter = search ? ` AND p.name LIKE ? ESCAPE '\\'` : '';
      const all = search ? [...args, likeContaining(search)] : args;
      const total = count(`SELECT count(*) AS n FROM projects p WHERE ${where}${filter}`, all);
      const rows = db
        .prepare<unknown[], ProjectRow>(
          `SELECT p.*, (SELECT count(*) FROM repositories r
             WHERE r.name >= p.name || '/' AND r.name < p.name || '0') AS repositories
           FROM projects p WHERE ${where}${filter} ORDER BY p.name LIMIT ? OFFSET ?`,
        )
        .all(...all, limit, offset);
      return {
        total,
        rows: rows.map((r) => ({
          project: {
            id: r.id,
            name: r.name,
            public: r.public === 1,
            storageLimit: r.storage_limit,
            createdAt: r.created_at,
            settings: JSON.parse(r.settings) as Project['settings'],
          },
          repositories: r.repositories,
        })),
      };
    },

    /**
     * A project's storage as the governance store counts it (unique blobs
     * `used` by its manifests, `linked` by everything uploaded into it), over
     * the name range instead of a scan of every repository.
     */
    usage(project: string): { used: number; linked: number } {
      const range = [`${project}/`, `${project}0`];
      const sum = (sql: string) =>
        db.prepare<unknown[], { bytes: number | null }>(sql).get(...range)?.bytes ?? 0;
      return {
        used: sum(`SELECT sum(size) AS bytes FROM blobs WHERE digest IN (
          SELECT x.child_digest FROM repositories r JOIN manifest_references x ON x.repository_id = r.id
          WHERE r.name >= ? AND r.name < ? AND x.kind = 'blob')`),
        linked: sum(`SELECT sum(size) AS bytes FROM blobs WHERE digest IN (
          SELECT x.digest FROM repositories r JOIN repository_blobs x ON x.repository_id = r.id
          WHERE r.name >= ? AND r.name < ?)`),
      };
    },

    /** A project's repositories by name, optionally those whose name contains `search`. */
    repositories(project: string, search: string, limit: number, offset: number): PageOf<RepositoryRowView> {
      const range = [`${project}/`, `${project}0`];
      const filter = search ? ` AND r.name LIKE ? ESCAPE '\\'` : '';
      const args = search ? [...range, likeContaining(search)] : range;
      const where = `r.name >= ? AND r.name < ?${filter}`;
      return {
        total: count(`SELECT count(*) AS n FROM repositories r WHERE ${where}`, args),
        rows: db
          .prepare<unknown[], RepositoryRowView>(
            `SELECT ${REPOSITORY_COLUMNS} FROM repositories r WHERE ${where} ORDER BY r.name LIMIT ? OFFSET ?`,
          )
          .all(...args, limit, offset),
      };
    },

    /**
     * Repositories of every project the caller sees whose name contains
     * `search`. The project of a repository is the part of its name before
     * the first slash: visible projects drive the loop (CROSS JOIN fixes the
     * order) and each one's repositories are a range of the name index.
     */
    search(who: Visibility, search: string, limit: number, offset: number): PageOf<RepositoryRowView> {
      const [from, all] = searchFrom(who, search);
      return {
        total: count(`SELECT count(*) AS n ${from}`, all),
        rows: db
          .prepare<unknown[], RepositoryRowView>(
            // Names first, counts only for the page's rows: a deep page sorts names, not subquery results.
            `SELECT ${REPOSITORY_COLUMNS} FROM repositories r WHERE r.id IN (
               SELECT r.id ${from} ORDER BY r.name LIMIT ? OFFSET ?) ORDER BY r.name`,
          )
          .all(...all, limit, offset),
      };
    },

    /** The query plan of the search (tests check it walks the name index). */
    searchPlan(who: Visibility, search: string): string[] {
      const [from, all] = searchFrom(who, search);
      return db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN SELECT r.name ${from}`)
        .all(...all)
        .map((r) => r.detail);
    },

    /** A repository's manifests, newest first, with their tags and total size (manifest + referenced blobs). */
    artifacts(repository: string, limit: number, offset: number): PageOf<ArtifactRowView> {
      const id = db
        .prepare<[string], { id: number }>('SELECT id FROM repositories WHERE name = ?')
        .get(repository)?.id;
      if (id === undefined) return { total: 0, rows: [] };
      const rows = db
        .prepare<
          [number, number, number],
          {
            digest: string;
            media_type: string;
            artifact_type: string | null;
            created_at: number;
            size: number;
            tags: string | null;
          }
        >(
          `SELECT m.digest, m.media_type, m.artifact_type, m.created_at,
             length(m.content) + coalesce((SELECT sum(b.size) FROM manifest_references x JOIN blobs b ON b.digest = x.child_digest
               WHERE x.repository_id = m.repository_id AND x.manifest_digest = m.digest AND x.kind = 'blob'), 0) AS size,
             (SELECT group_concat(t.name, ' ') FROM tags t
              WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest) AS tags
           FROM manifests m WHERE m.repository_id = ? ORDER BY m.created_at DESC, m.digest LIMIT ? OFFSET ?`,
        )
        .all(id, limit, offset);
      return {
        total: count('SELECT count(*) AS n FROM manifests WHERE repository_id = ?', [id]),
        rows: rows.map((r) => ({
          digest: r.digest,
          mediaType: r.media_type,
          artifactType: r.artifact_type,
          size: r.size,
          tags: r.tags ? r.tags.split(' ').sort() : [],
          pushedAt: r.created_at,
        })),
      };
    },

    /** One manifest's push time, and its tags with their push and last pull times. */
    artifact(repository: string, digest: string): { pushedAt: number; tags: TagView[] } | undefined {
      const row = db
        .prepare<[string, string], { id: number; created_at: number }>(
          `SELECT r.id, m.created_at FROM manifests m JOIN repositories r ON r.id = m.repository_id
           WHERE r.name = ? AND m.digest = ?`,
        )
        .get(repository, digest);
      if (!row) return undefined;
      const tags = db
        .prepare<[string, number, string], TagView>(
          `SELECT t.name AS tag, t.updated_at AS pushedAt,
             (SELECT p.pulled_at FROM tag_pulls p WHERE p.repository = ? AND p.tag = t.name) AS pulledAt
           FROM tags t WHERE t.repository_id = ? AND t.manifest_digest = ? ORDER BY t.name`,
        )
        .all(repository, row.id, digest);
      return { pushedAt: row.created_at, tags };
    },

    /** Sizes of blobs by digest (layers and config of a manifest). */
    blobSizes(digests: string[]): Map<string, number> {
      const rows = db
        .prepare<[string], { digest: string; size: number }>(
          'SELECT digest, size FROM blobs WHERE digest IN (SELECT value FROM json_each(?))',
        )
        .all(JSON.stringify(digests));
      return new Map(rows.map((r) => [r.digest, r.size]));
    },

    /** Users by name, optionally those whose name contains `search`, with their projects. */
    users(
      search: string,
      limit: number,
      offset: number,
    ): PageOf<{ name: string; sysadmin: boolean; projects: string }> {
      const filter = search ? ` WHERE u.name LIKE ? ESCAPE '\\'` : '';
      const args = search ? [likeContaining(search)] : [];
      return {
        total: count(`SELECT count(*) AS n FROM users u${filter}`, args),
        rows: db
          .prepare<unknown[], { name: string; sysadmin: number; projects: string | null }>(
            `SELECT u.name, u.sysadmin, (SELECT group_concat(p.name, ', ') FROM members m
               JOIN projects p ON p.id = m.project_id WHERE m.user_id = u.id) AS projects
             FROM users u${filter} ORDER BY u.name LIMIT ? OFFSET ?`,
          )
          .all(...args, limit, offset)
          .map((r) => ({ name: r.name, sysadmin: r.sysadmin === 1, projects: r.projects ?? '' })),
      };
    },

    /** A replication run's per-artifact tasks in order (the table belongs to replication.ts). */
    replicationTasks(
      executionId: number,
      limit: number,
      offset: number,
    ): PageOf<{
      source: string;
      destination: string;
      tag: string;
      digest: string | null;
      status: string;
      detail: string | null;
    }> {
      return {
        total: count('SELECT count(*) AS n FROM replication_tasks WHERE execution_id = ?', [executionId]),
        rows: db
          .prepare<
            [number, number, number],
            {
              source: string;
              destination: string;
              tag: string;
              digest: string | null;
              status: string;
              detail: string | null;
            }
          >(
            `SELECT source, destination, tag, digest, status, detail FROM replication_tasks
             WHERE execution_id = ? ORDER BY id LIMIT ? OFFSET ?`,
          )
          .all(executionId, limit, offset),
      };
    },

    /** Garbage collections, newest first. */
    gcRuns(limit: number, offset: number): PageOf<GcRunView> {
      return {
        total: count('SELECT count(*) AS n FROM gc_runs', []),
        rows: db
          .prepare<[number, number], Record<string, number>>(
            'SELECT * FROM gc_runs ORDER BY id DESC LIMIT ? OFFSET ?',
          )
          .all(limit, offset)
          .map((r) => ({
            id: r['id'] ?? 0,
            startedAt: r['started_at'] ?? 0,
            finishedAt: r['finished_at'] ?? 0,
            dryRun: r['dry_run'] === 1,
            manifestsDeleted: r['manifests_deleted'] ?? 0,
            linksDeleted: r['links_deleted'] ?? 0,
            blobsDeleted: r['blobs_deleted'] ?? 0,
            bytesFreed: r['bytes_freed'] ?? 0,
          })),
      };
    },

    /** A webhook policy's deliveries, newest first (the table belongs to webhooks.ts). */
    deliveries(policyId: number, limit: number, offset: number): PageOf<DeliveryView> {
      return {
        total: count('SELECT count(*) AS n FROM webhook_deliveries WHERE policy_id = ?', [policyId]),
        rows: db
          .prepare<[number, number, number], DeliveryView>(
            `SELECT id, event, status, attempts, last_status AS lastStatus, last_error AS lastError,
               created_at AS createdAt, delivered_at AS deliveredAt
             FROM webhook_deliveries WHERE policy_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`,
          )
          .all(policyId, limit, offset),
      };
    },
  };
}

export type UiQueries = ReturnType<typeof createUiQueries>;
