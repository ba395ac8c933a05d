import type { GovernanceDatabase } from './database.js';
import type { MemberRole, ProjectAction } from './permissions.js';
import type { ProxyCacheSettings } from './proxy.js';
import { migrateGovernance } from './schema.js';

export interface Project {
  id: number;
  name: string;
  public: boolean;
  /** Bytes; -1 means unlimited. */
  storageLimit: number;
  createdAt: number;
  settings: ProjectSettings;
}

/** Which tags a retention run keeps; a tag is kept when any rule keeps it. No rule: nothing is deleted. */
export interface RetentionPolicy {
  /** The N most recently pushed tags of each repository. */
  keepLast?: number;
  /** Tags pushed within N days. */
  keepDays?: number;
  /** Tags pulled within N days. */
  keepPulledDays?: number;
  /** Tags matching any of these patterns (`*` any run of characters, `?` one). */
  keepTags?: string[];
  /** Run by itself this often (besides runs by hand). */
  schedule?: 'hourly' | 'daily' | 'weekly';
}

export interface ProjectSettings {
  /** Tag patterns that may be neither overwritten nor deleted. */
  immutableTags?: string[];
  retention?: RetentionPolicy;
  /** Set on a proxy-cache project: the upstream it mirrors. */
  proxyCache?: ProxyCacheSettings;
}

export interface User {
  id: number;
  name: string;
  passwordHash: string;
  sysadmin: boolean;
  createdAt: number;
  /** Last password change. */
  updatedAt: number;
}

export interface Robot {
  id: number;
  name: string;
  /** Undefined for a system-level robot. */
  project: string | undefined;
  secretHash: string;
  description: string;
  expiresAt: number | undefined;
  disabled: boolean;
  createdAt: number;
  /** `project` is a project name, or `*` for every project (system robots). */
  permissions: { project: string; action: ProjectAction }[];
}

export interface TagRecord {
  repository: string;
  tag: string;
  digest: string;
  pushedAt: number;
  /** Last pull, when one was seen (recorded at most once a minute per tag). */
  pulledAt: number | null;
}

export interface AuditEntry {
  id: number;
  time: number;
  /** Undefined for anonymous callers. */
  username: string | undefined;
  remoteAddress: string;
  operation: string;
  project: string | undefined;
  resource: string;
  result: 'success' | 'failure';
  detail: string | undefined;
}

export interface AuditQuery {
  project?: string;
  username?: string;
  operation?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

interface ProjectRow {
  id: number;
  name: string;
  public: number;
  storage_limit: number;
  created_at: number;
  settings: string;
}
interface UserRow {
  id: number;
  name: string;
  password_hash: string;
  sysadmin: number;
  created_at: number;
  updated_at: number;
}
interface RobotRow {
  id: number;
  name: string;
  project: string | null;
  secret_hash: string;
  description: string;
  expires_at: number | null;
  disabled: number;
  created_at: number;
}
interface AuditRow {
  id: number;
  time: number;
  username: string | null;
  remote_address: string;
  operation: string;
  project: string | null;
  resource: string;
  result: 'success' | 'failure';
  detail: string | null;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  public: r.public === 1,
  storageLimit: r.storage_limit,
  createdAt: r.created_at,
  settings: JSON.parse(r.settings) as ProjectSettings,
});
const toUser = (r: UserRow): User => ({
  id: r.id,
  name: r.name,
  passwordHash: r.password_hash,
  sysadmin: r.sysadmin === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  time: r.time,
  username: r.username ?? undefined,
  remoteAddress: r.remote_address,
  operation: r.operation,
  project: r.project ?? undefined,
  resource: r.resource,
  result: r.result,
  detail: r.detail ?? undefined,
});

const AUDIT_FLUSH_MS = 200;
const LOOKUP_TTL_MS = 1000;
const AUDIT_BATCH = 500;

/** Repositories of a project: its name, then a slash. */
const IN_PROJECT = "substr(r.name, 1, length(CAST(? AS TEXT)) + 1) = CAST(? AS TEXT) || '/'";

const ROBOT_SELECT = `SELECT b.id, b.name, p.name AS project, b.secret_hash, b.description, b.expires_at,
    b.disabled, b.created_at FROM robots b LEFT JOIN projects p ON p.id = b.project_id`;

/** Bytes of the unique blobs a project's artifacts reference, or that were linked into it. */
const blobBytes = (table: 'repository_blobs' | 'manifest_references') =>
  `SELECT CAST(sum(size) AS BIGINT) AS bytes FROM blobs WHERE digest IN (
     SELECT x.${table === 'repository_blobs' ? 'digest' : 'child_digest'} FROM ${table} x
     JOIN repositories r ON r.id = x.repository_id
     WHERE ${IN_PROJECT}${table === 'manifest_references' ? " AND x.kind = 'blob'" : ''})`;

/**
 * Governance data on SQLite or PostgreSQL (see {@link GovernanceDatabase});
 * every multi-row change runs in one transaction. Migrates on open.
 */
export async function createGovernanceStore(database: GovernanceDatabase) {
  await migrateGovernance(database);
  // The lookups behind every authorization decision (project, user, role, robot)
  // are answered from memory for up to LOOKUP_TTL_MS: on PostgreSQL each is a
  // round trip, and a governed manifest GET made several. Every change through
  // this store clears them at once; another replica's change shows within the TTL.
  const lookups = new Map<string, { at: number; value: Promise<unknown> }>();
  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = lookups.get(key);
    if (hit && hit.at > Date.now() - LOOKUP_TTL_MS) return hit.value as Promise<T>;
    if (lookups.size > 10_000) lookups.clear();
    const value = load();
    lookups.set(key, { at: Date.now(), value });
    value.catch(() => lookups.delete(key));
    return value;
  };
  const db: GovernanceDatabase = {
    ...database,
    run: (sql, params) => database.run(sql, params).finally(() => lookups.clear()),
    transaction: (work) => database.transaction(work).finally(() => lookups.clear()),
  };
  const toRobot = async (r: RobotRow): Promise<Robot> => ({
    id: r.id,
    name: r.name,
    project: r.project ?? undefined,
    secretHash: r.secret_hash,
    description: r.description,
    expiresAt: r.expires_at ?? undefined,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    permissions: await db.all<{ project: string; action: ProjectAction }>(
      'SELECT project, action FROM robot_permissions WHERE robot_id = ? ORDER BY project, action',
      [r.id],
    ),
  });
  let pendingAudit: Omit<AuditEntry, 'id'>[] = [];
  let auditTimer: NodeJS.Timeout | undefined;
  let auditWrites: Promise<void> = Promise.resolve();
  /** Writes queued audit entries in one transaction; resolves when everything queued so far is written. */
  const flushAudit = (): Promise<void> => {
    if (auditTimer) clearTimeout(auditTimer);
    auditTimer = undefined;
    if (pendingAudit.length === 0) return auditWrites;
    const entries = pendingAudit;
    pendingAudit = [];
    // One INSERT per 100 entries: on PostgreSQL each statement is a round trip.
    const write = database.transaction(async (tx) => {
      for (let first = 0; first < entries.length; first += 100) {
        const chunk = entries.slice(first, first + 100);
        await tx.run(
          `INSERT INTO audit_log (time, username, remote_address, operation, project, resource, result, detail)
           VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          chunk.flatMap((e) => [
            e.time,
            e.username ?? null,
            e.remoteAddress,
            e.operation,
            e.project ?? null,
            e.resource,
            e.result,
            e.detail ?? null,
          ]),
        );
      }
    });
    // Batches are written in order; a failed one does not stop the next.
    auditWrites = auditWrites.then(() => write);
    return auditWrites;
  };
  const backgroundFlush = () => {
    flushAudit().catch((err: unknown) => {
      process.emitWarning(`berth-registry: writing the audit log failed: ${(err as Error).message}`);
    });
  };

  const store = {
    // Projects
    project(name: string): Promise<Project | undefined> {
      return cached(`project\0${name}`, async () => {
        const row = await db.get<ProjectRow>('SELECT * FROM projects WHERE name = ?', [name]);
        return row && toProject(row);
      });
    },
    async projects(): Promise<Project[]> {
      return (await db.all<ProjectRow>('SELECT * FROM projects ORDER BY name')).map(toProject);
    },
    async createProject(
      name: string,
      isPublic: boolean,
      storageLimit: number,
      now: number,
    ): Promise<Project> {
      await db.run('INSERT INTO projects (name, public, storage_limit, created_at) VALUES (?, ?, ?, ?)', [
        name,
        isPublic ? 1 : 0,
        storageLimit,
        now,
      ]);
      return (await store.project(name))!;
    },
    async updateProject(
      name: string,
      change: { public?: boolean; storageLimit?: number; settings?: ProjectSettings },
    ): Promise<void> {
      await db.transaction(async (tx) => {
        if (change.settings !== undefined)
          await tx.run('UPDATE projects SET settings = ? WHERE name = ?', [
            JSON.stringify(change.settings),
            name,
          ]);
        if (change.public !== undefined)
          await tx.run('UPDATE projects SET public = ? WHERE name = ?', [change.public ? 1 : 0, name]);
        if (change.storageLimit !== undefined)
          await tx.run('UPDATE projects SET storage_limit = ? WHERE name = ?', [change.storageLimit, name]);
      });
    },
    async deleteProject(name: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM projects WHERE name = ?', [name]);
        // System robots' rights there must not come back with a new project of the same name.
        await tx.run('DELETE FROM robot_permissions WHERE project = ?', [name]);
      });
    },
    /** Tags of a repository, or of every repository of a project, newest push first. */
    async tags(scope: { repository: string } | { project: string }): Promise<TagRecord[]> {
      const where = 'repository' in scope ? 'r.name = ?' : IN_PROJECT;
      const args = 'repository' in scope ? [scope.repository] : [scope.project, scope.project];
      return db.all<TagRecord>(
        `SELECT r.name AS repository, t.name AS tag, t.manifest_digest AS digest, t.updated_at AS "pushedAt",
           (SELECT p.pulled_at FROM tag_pulls p WHERE p.repository = r.name AND p.tag = t.name) AS "pulledAt"
         FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE ${where}
         ORDER BY r.name, t.updated_at DESC, t.name`,
        args,
      );
    },
    async repositories(project: string): Promise<{ name: string; tags: number; artifacts: number }[]> {
      return db.all<{ name: string; tags: number; artifacts: number }>(
        `SELECT r.name,
           (SELECT count(*) FROM tags t WHERE t.repository_id = r.id) AS tags,
           (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS artifacts
         FROM repositories r WHERE ${IN_PROJECT} ORDER BY r.name`,
        [project, project],
      );
    },
    async artifacts(
      repository: string,
    ): Promise<{ digest: string; mediaType: string; tags: string[]; pushedAt: number }[]> {
      const rows = await db.all<{
        digest: string;
        media_type: string;
        created_at: number;
        tags: string | null;
      }>(
        `SELECT m.digest, m.media_type, m.created_at,
           (SELECT string_agg(t.name, ' ') FROM tags t
            WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest) AS tags
         FROM manifests m JOIN repositories r ON r.id = m.repository_id
         WHERE r.name = ? ORDER BY m.created_at DESC`,
        [repository],
      );
      return rows.map((r) => ({
        digest: r.digest,
        mediaType: r.media_type,
        tags: r.tags ? r.tags.split(' ').sort() : [],
        pushedAt: r.created_at,
      }));
    },
    /** Removes a repository's manifests, tags and links; its blobs go with the next GC. */
    async deleteRepository(repository: string): Promise<boolean> {
      // A transaction: on PostgreSQL it waits for the metadata writer lock, as GC does.
      return db.transaction(
        async (tx) => (await tx.run('DELETE FROM repositories WHERE name = ?', [repository])) > 0,
      );
    },
    /**
     * Storage of a project, counted by unique blobs: `used` by its artifacts,
     * `linked` by everything uploaded into it (including blobs of a push not yet finished).
     */
    async usage(project: string): Promise<{ used: number; linked: number }> {
      const [used, linked] = await Promise.all([
        db.get<{ bytes: number | null }>(blobBytes('manifest_references'), [project, project]),
        db.get<{ bytes: number | null }>(blobBytes('repository_blobs'), [project, project]),
      ]);
      return { used: used?.bytes ?? 0, linked: linked?.bytes ?? 0 };
    },
    async blobInProject(project: string, digest: string): Promise<boolean> {
      const row = await db.get(
        `SELECT 1 AS one FROM repository_blobs x JOIN repositories r ON r.id = x.repository_id
         WHERE x.digest = ? AND ${IN_PROJECT} LIMIT 1`,
        [digest, project, project],
      );
      return row !== undefined;
    },

    // Users
    user(name: string): Promise<User | undefined> {
      return cached(`user\0${name}`, async () => {
        const row = await db.get<UserRow>('SELECT * FROM users WHERE name = ?', [name]);
        return row && toUser(row);
      });
    },
    async users(): Promise<User[]> {
      return (await db.all<UserRow>('SELECT * FROM users ORDER BY name')).map(toUser);
    },
    async userCount(): Promise<number> {
      return (await db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n ?? 0;
    },
    async createUser(name: string, passwordHash: string, sysadmin: boolean, now: number): Promise<User> {
      await db.run(
        'INSERT INTO users (name, password_hash, sysadmin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        [name, passwordHash, sysadmin ? 1 : 0, now, now],
      );
      return (await store.user(name))!;
    },
    async setPassword(name: string, passwordHash: string, now: number): Promise<void> {
      await db.run('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?', [
        passwordHash,
        now,
        name,
      ]);
    },
    async setSysadmin(name: string, sysadmin: boolean): Promise<void> {
      await db.run('UPDATE users SET sysadmin = ? WHERE name = ?', [sysadmin ? 1 : 0, name]);
    },
    async deleteUser(name: string): Promise<void> {
      await db.run('DELETE FROM users WHERE name = ?', [name]);
    },

    // Members
    role(project: string, user: string): Promise<MemberRole | undefined> {
      return cached(`role\0${project}\0${user}`, async () => {
        const row = await db.get<{ role: MemberRole }>(
          `SELECT m.role FROM members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
           WHERE p.name = ? AND u.name = ?`,
          [project, user],
        );
        return row?.role;
      });
    },
    async members(project: string): Promise<{ username: string; role: MemberRole }[]> {
      return db.all<{ username: string; role: MemberRole }>(
        `SELECT u.name AS username, m.role FROM members m JOIN projects p ON p.id = m.project_id
         JOIN users u ON u.id = m.user_id WHERE p.name = ? ORDER BY u.name`,
        [project],
      );
    },
    async projectsOf(user: string): Promise<string[]> {
      const rows = await db.all<{ name: string }>(
        `SELECT p.name FROM members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
         WHERE u.name = ? ORDER BY p.name`,
        [user],
      );
      return rows.map((r) => r.name);
    },
    async setMember(project: string, user: string, role: MemberRole): Promise<void> {
      await db.run(
        `INSERT INTO members (project_id, user_id, role)
         VALUES ((SELECT id FROM projects WHERE name = ?), (SELECT id FROM users WHERE name = ?), ?)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`,
        [project, user, role],
      );
    },
    async removeMember(project: string, user: string): Promise<boolean> {
      const changes = await db.run(
        `DELETE FROM members WHERE project_id = (SELECT id FROM projects WHERE name = ?)
         AND user_id = (SELECT id FROM users WHERE name = ?)`,
        [project, user],
      );
      return changes > 0;
    },

    // Robots
    robot(name: string): Promise<Robot | undefined> {
      return cached(`robot\0${name}`, async () => {
        const row = await db.get<RobotRow>(`${ROBOT_SELECT} WHERE b.name = ?`, [name]);
        return row && toRobot(row);
      });
    },
    async robots(project: string | undefined): Promise<Robot[]> {
      const rows =
        project === undefined
          ? await db.all<RobotRow>(`${ROBOT_SELECT} WHERE b.project_id IS NULL ORDER BY b.name`)
          : await db.all<RobotRow>(`${ROBOT_SELECT} WHERE p.name = ? ORDER BY b.name`, [project]);
      return Promise.all(rows.map(toRobot));
    },
    async createRobot(robot: Omit<Robot, 'id' | 'disabled'>): Promise<Robot> {
      await db.transaction(async (tx) => {
        const row = await tx.get<{ id: number }>(
          `INSERT INTO robots (name, project_id, secret_hash, description, expires_at, created_at)
           VALUES (?, (SELECT id FROM projects WHERE name = ?), ?, ?, ?, ?) RETURNING id`,
          [
            robot.name,
            robot.project ?? null,
            robot.secretHash,
            robot.description,
            robot.expiresAt ?? null,
            robot.createdAt,
          ],
        );
        for (const p of robot.permissions) {
          await tx.run('INSERT INTO robot_permissions (robot_id, project, action) VALUES (?, ?, ?)', [
            row?.id,
            p.project,
            p.action,
          ]);
        }
      });
      return (await store.robot(robot.name))!;
    },
    async setRobotDisabled(name: string, disabled: boolean): Promise<void> {
      await db.run('UPDATE robots SET disabled = ? WHERE name = ?', [disabled ? 1 : 0, name]);
    },
    async deleteRobot(name: string): Promise<boolean> {
      return (await db.run('DELETE FROM robots WHERE name = ?', [name])) > 0;
    },

    async recordPull(repository: string, tag: string, now: number): Promise<void> {
      // Not a change the lookups depend on.
      await database.run(
        `INSERT INTO tag_pulls (repository, tag, pulled_at) VALUES (?, ?, ?)
         ON CONFLICT (repository, tag) DO UPDATE SET pulled_at = excluded.pulled_at`,
        [repository, tag, now],
      );
    },

    // System settings
    async setting<T>(key: string, fallback: T): Promise<T> {
      const row = await db.get<{ value: string }>('SELECT value FROM system_settings WHERE key = ?', [key]);
      return row ? (JSON.parse(row.value) as T) : fallback;
    },
    async setSetting(key: string, value: unknown): Promise<void> {
      await db.run(
        'INSERT INTO system_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, JSON.stringify(value)],
      );
    },

    // Audit log (append-only; only the retention setting removes old entries)
    async purgeAudit(before: number): Promise<number> {
      await flushAudit();
      return db.run('DELETE FROM audit_log WHERE time < ?', [before]);
    },
    /**
     * Queues an entry. Entries are written in batches (one transaction every
     * {@link AUDIT_FLUSH_MS} or {@link AUDIT_BATCH} entries): a write per pull
     * on the event loop cost a third of the manifest GET rate under load.
     * Every read of the log flushes first.
     */
    appendAudit(entry: Omit<AuditEntry, 'id'>): void {
      pendingAudit.push(entry);
      if (pendingAudit.length >= AUDIT_BATCH) backgroundFlush();
      else if (!auditTimer) {
        auditTimer = setTimeout(backgroundFlush, AUDIT_FLUSH_MS);
        auditTimer.unref();
      }
    },
    flushAudit,
    async audit(query: AuditQuery): Promise<{ total: number; entries: AuditEntry[] }> {
      await flushAudit();
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (query.project !== undefined) {
        where.push('project = ?');
        args.push(query.project);
      }
      if (query.username !== undefined) {
        where.push('username = ?');
        args.push(query.username);
      }
      if (query.operation !== undefined) {
        where.push('operation = ?');
        args.push(query.operation);
      }
      if (query.from !== undefined) {
        where.push('time >= ?');
        args.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('time <= ?');
        args.push(query.to);
      }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const total =
        (await db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log ${clause}`, args))?.n ?? 0;
      const rows = await db.all<AuditRow>(
        `SELECT * FROM audit_log ${clause} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`,
        [...args, query.limit, query.offset],
      );
      return { total, entries: rows.map(toAudit) };
    },
    /** Writes what is queued and closes the database handle (a no-op for SQLite's shared one). */
    async close(): Promise<void> {
      await flushAudit().catch(() => {});
      await database.close();
    },
  };
  return store;
}

export type GovernanceStore = Awaited<ReturnType<typeof createGovernanceStore>>;
