import type { GovernanceDatabase } from './database.js';
import type { Project } from './store.js';

/**
 * Paged reads for the web UI's long lists, kept apart from the governance
 * store: they join the registry's metadata tables, on the same database.
 *
 * Every list is LIMIT/OFFSET over an index, and its count is a count over the
 * same index: a project's repositories are the name range
 * [`PROJECT/`, `PROJECT0`) (`0` is the byte after `/`), which the UNIQUE
 * index on repositories.name answers without reading other projects' rows
 * (names sort by byte on both engines: PostgreSQL's columns are `COLLATE "C"`).
 *
 * The SQL is the same on SQLite and PostgreSQL but for three spots, chosen by
 * `db.dialect`: the join that fixes the search's loop order (SQLite's CROSS
 * JOIN; PostgreSQL has no CROSS JOIN … ON and plans the loop itself), the
 * case-insensitive match (SQLite's LIKE is, PostgreSQL's ILIKE), and the plan
 * query. Sums are cast to BIGINT (PostgreSQL's sum of BIGINT is NUMERIC, which
 * `pg` returns as a string); camelCase aliases are quoted (PostgreSQL folds
 * unquoted ones to lower case); lists of names become `IN (?, …)`.
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

/** `%`, `_` and `!` are literal in a search: LIKE … ESCAPE '!' (no backslash, whose quoting differs between engines). */
const likeContaining = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/** `IN (?, ?, …)` for a list of values; an empty list matches nothing. */
const inList = (column: string, values: readonly unknown[]) =>
  values.length === 0 ? '1 = 0' : `${column} IN (${values.map(() => '?').join(', ')})`;

const REPOSITORY_COLUMNS = `r.name,
  (SELECT count(*) FROM tags t WHERE t.repository_id = r.id) AS tags,
  (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS artifacts,
  (SELECT max(m.created_at) FROM manifests m WHERE m.repository_id = r.id) AS "pushedAt"`;

export function createUiQueries(db: GovernanceDatabase) {
  const postgres = db.dialect === 'postgres';
  /** Case-insensitive match, as SQLite's LIKE is for ASCII. */
  const matches = (column: string) => `${column} ${postgres ? 'ILIKE' : 'LIKE'} ? ESCAPE '!'`;
  /** A WHERE fragment on projects `p` for a caller's visibility, and its arguments. */
  const visible = (who: Visibility): [string, unknown[]] => {
    if ('all' in who) return ['1 = 1', []];
    if ('names' in who) return [`(p.public = 1 OR ${inList('p.name', who.names)})`, who.names];
    if (who.user === undefined) return ['p.public = 1', []];
    return [
      `(p.public = 1 OR p.id IN (SELECT m.project_id FROM members m JOIN users u ON u.id = m.user_id
        WHERE u.name = ?))`,
      [who.user],
    ];
  };
  const searchFrom = (who: Visibility, search: string): [string, unknown[]] => {
    const [where, args] = visible(who);
    // SQLite: CROSS JOIN keeps projects the outer loop. PostgreSQL: a plain join
    // (CROSS JOIN takes no ON there); its planner picks the nested loop over the
    // name index itself when projects are few.
    const join = postgres ? 'JOIN' : 'CROSS JOIN';
    return [
      `FROM projects p ${join} repositories r ON r.name >= p.name || '/' AND r.name < p.name || '0'
        WHERE ${where} AND ${matches('r.name')}`,
      [...args, likeContaining(search)],
    ];
  };
  const count = async (sql: string, args: readonly unknown[]) =>
    (await db.get<{ n: number }>(sql, args))?.n ?? 0;

  return {
    /** Projects the caller sees, by name, optionally those whose name contains `search`. */
    async projects(
      who: Visibility,
      search: string,
      limit: number,
      offset: number,
    ): Promise<PageOf<ProjectRowView>> {
      const [where, args] = visible(who);
      const filter = search ? ` AND ${matches('p.name')}` : '';
      const all = search ? [...args, likeContaining(search)] : args;
      const total = await count(`SELECT count(*) AS n FROM projects p WHERE ${where}${filter}`, all);
      const rows = await db.all<ProjectRow>(
        `SELECT p.*, (SELECT count(*) FROM repositories r
           WHERE r.name >= p.name || '/' AND r.name < p.name || '0') AS repositories
         FROM projects p WHERE ${where}${filter} ORDER BY p.name LIMIT ? OFFSET ?`,
        [...all, limit, offset],
      );
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
    async usage(project: string): Promise<{ used: number; linked: number }> {
      const range = [`${project}/`, `${project}0`];
      const sum = async (sql: string) => (await db.get<{ bytes: number | null }>(sql, range))?.bytes ?? 0;
      return {
        used: await sum(`SELECT CAST(sum(size) AS BIGINT) AS bytes FROM blobs WHERE digest IN (
          SELECT x.child_digest FROM repositories r JOIN manifest_references x ON x.repository_id = r.id
          WHERE r.name >= ? AND r.name < ? AND x.kind = 'blob')`),
        linked: await sum(`SELECT CAST(sum(size) AS BIGINT) AS bytes FROM blobs WHERE digest IN (
          SELECT x.digest FROM repositories r JOIN repository_blobs x ON x.repository_id = r.id
          WHERE r.name >= ? AND r.name < ?)`),
      };
    },

    /** A project's repositories by name, optionally those whose name contains `search`. */
    async repositories(
      project: string,
      search: string,
      limit: number,
      offset: number,
    ): Promise<PageOf<RepositoryRowView>> {
      const range = [`${project}/`, `${project}0`];
      const filter = search ? ` AND ${matches('r.name')}` : '';
      const args = search ? [...range, likeContaining(search)] : range;
      const where = `r.name >= ? AND r.name < ?${filter}`;
      return {
        total: await count(`SELECT count(*) AS n FROM repositories r WHERE ${where}`, args),
        rows: await db.all<RepositoryRowView>(
          `SELECT ${REPOSITORY_COLUMNS} FROM repositories r WHERE ${where} ORDER BY r.name LIMIT ? OFFSET ?`,
          [...args, limit, offset],
        ),
      };
    },

    /**
     * Repositories of every project the caller sees whose name contains
     * `search`. The project of a repository is the part of its name before
     * the first slash: visible projects drive the loop and each one's
     * repositories are a range of the name index.
     */
    async search(
      who: Visibility,
      search: string,
      limit: number,
      offset: number,
    ): Promise<PageOf<RepositoryRowView>> {
      const [from, all] = searchFrom(who, search);
      return {
        total: await count(`SELECT count(*) AS n ${from}`, all),
        rows: await db.all<RepositoryRowView>(
          // Names first, counts only for the page's rows: a deep page sorts names, not subquery results.
          `SELECT ${REPOSITORY_COLUMNS} FROM repositories r WHERE r.id IN (
             SELECT r.id ${from} ORDER BY r.name LIMIT ? OFFSET ?) ORDER BY r.name`,
          [...all, limit, offset],
        ),
      };
    },

    /** The query plan of the search, one line a step (tests check it walks the name index). */
    async searchPlan(who: Visibility, search: string): Promise<string[]> {
      const [from, all] = searchFrom(who, search);
      if (postgres) {
        const rows = await db.all<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT r.name ${from}`, all);
        return rows.map((r) => r['QUERY PLAN']);
      }
      const rows = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT r.name ${from}`, all);
      return rows.map((r) => r.detail);
    },

    /** A repository's manifests, newest first, with their tags and total size (manifest + referenced blobs). */
    async artifacts(repository: string, limit: number, offset: number): Promise<PageOf<ArtifactRowView>> {
      const id = (await db.get<{ id: number }>('SELECT id FROM repositories WHERE name = ?', [repository]))
        ?.id;
      if (id === undefined) return { total: 0, rows: [] };
      const rows = await db.all<{
        digest: string;
        media_type: string;
        artifact_type: string | null;
        created_at: number;
        size: number;
        tags: string | null;
      }>(
        `SELECT m.digest, m.media_type, m.artifact_type, m.created_at,
           CAST(length(m.content) + coalesce((SELECT sum(b.size) FROM manifest_references x JOIN blobs b ON b.digest = x.child_digest
             WHERE x.repository_id = m.repository_id AND x.manifest_digest = m.digest AND x.kind = 'blob'), 0) AS BIGINT) AS size,
           (SELECT string_agg(t.name, ' ') FROM tags t
            WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest) AS tags
         FROM manifests m WHERE m.repository_id = ? ORDER BY m.created_at DESC, m.digest LIMIT ? OFFSET ?`,
        [id, limit, offset],
      );
      return {
        total: await count('SELECT count(*) AS n FROM manifests WHERE repository_id = ?', [id]),
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
    async artifact(
      repository: string,
      digest: string,
    ): Promise<{ pushedAt: number; tags: TagView[] } | undefined> {
      const row = await db.get<{ id: number; created_at: number }>(
        `SELECT r.id, m.created_at FROM manifests m JOIN repositories r ON r.id = m.repository_id
         WHERE r.name = ? AND m.digest = ?`,
        [repository, digest],
      );
      if (!row) return undefined;
      const tags = await db.all<TagView>(
        `SELECT t.name AS tag, t.updated_at AS "pushedAt",
           (SELECT p.pulled_at FROM tag_pulls p WHERE p.repository = ? AND p.tag = t.name) AS "pulledAt"
         FROM tags t WHERE t.repository_id = ? AND t.manifest_digest = ? ORDER BY t.name`,
        [repository, row.id, digest],
      );
      return { pushedAt: row.created_at, tags };
    },

    /** Sizes of blobs by digest (layers and config of a manifest). */
    async blobSizes(digests: string[]): Promise<Map<string, number>> {
      if (digests.length === 0) return new Map();
      const rows = await db.all<{ digest: string; size: number }>(
        `SELECT digest, size FROM blobs WHERE ${inList('digest', digests)}`,
        digests,
      );
      return new Map(rows.map((r) => [r.digest, r.size]));
    },

    /** Users by name, optionally those whose name contains `search`, with their projects. */
    async users(
      search: string,
      limit: number,
      offset: number,
    ): Promise<PageOf<{ name: string; sysadmin: boolean; projects: string }>> {
      const filter = search ? ` WHERE ${matches('u.name')}` : '';
      const args = search ? [likeContaining(search)] : [];
      const rows = await db.all<{ name: string; sysadmin: number; projects: string | null }>(
        `SELECT u.name, u.sysadmin, (SELECT string_agg(p.name, ', ') FROM members m
           JOIN projects p ON p.id = m.project_id WHERE m.user_id = u.id) AS projects
         FROM users u${filter} ORDER BY u.name LIMIT ? OFFSET ?`,
        [...args, limit, offset],
      );
      return {
        total: await count(`SELECT count(*) AS n FROM users u${filter}`, args),
        rows: rows.map((r) => ({ name: r.name, sysadmin: r.sysadmin === 1, projects: r.projects ?? '' })),
      };
    },

    /** A replication run's per-artifact tasks in order (the table belongs to replication.ts). */
    async replicationTasks(
      executionId: number,
      limit: number,
      offset: number,
    ): Promise<
      PageOf<{
        source: string;
        destination: string;
        tag: string;
        digest: string | null;
        status: string;
        detail: string | null;
      }>
    > {
      return {
        total: await count('SELECT count(*) AS n FROM replication_tasks WHERE execution_id = ?', [
          executionId,
        ]),
        rows: await db.all(
          `SELECT source, destination, tag, digest, status, detail FROM replication_tasks
           WHERE execution_id = ? ORDER BY id LIMIT ? OFFSET ?`,
          [executionId, limit, offset],
        ),
      };
    },

    /** Garbage collections, newest first. */
    async gcRuns(limit: number, offset: number): Promise<PageOf<GcRunView>> {
      const rows = await db.all<Record<string, number | boolean>>(
        'SELECT * FROM gc_runs ORDER BY id DESC LIMIT ? OFFSET ?',
        [limit, offset],
      );
      const num = (value: number | boolean | undefined) => (typeof value === 'number' ? value : 0);
      return {
        total: await count('SELECT count(*) AS n FROM gc_runs', []),
        rows: rows.map((r) => ({
          id: num(r['id']),
          startedAt: num(r['started_at']),
          finishedAt: num(r['finished_at']),
          // INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL.
          dryRun: r['dry_run'] === 1 || r['dry_run'] === true,
          manifestsDeleted: num(r['manifests_deleted']),
          linksDeleted: num(r['links_deleted']),
          blobsDeleted: num(r['blobs_deleted']),
          bytesFreed: num(r['bytes_freed']),
        })),
      };
    },

    /** A webhook policy's deliveries, newest first (the table belongs to webhooks.ts). */
    async deliveries(policyId: number, limit: number, offset: number): Promise<PageOf<DeliveryView>> {
      return {
        total: await count('SELECT count(*) AS n FROM webhook_deliveries WHERE policy_id = ?', [policyId]),
        rows: await db.all<DeliveryView>(
          `SELECT id, event, status, attempts, last_status AS "lastStatus", last_error AS "lastError",
             created_at AS "createdAt", delivered_at AS "deliveredAt"
           FROM webhook_deliveries WHERE policy_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`,
          [policyId, limit, offset],
        ),
      };
    },
  };
}

export type UiQueries = ReturnType<typeof createUiQueries>;
