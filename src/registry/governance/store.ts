import type { SqliteDatabase } from '../metadata/sqlite-database.js';
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
const AUDIT_BATCH = 500;

/** Repositories of a project: its name, then a slash. */
const IN_PROJECT = "substr(r.name, 1, length(?) + 1) = ? || '/'";

/**
 * Governance data on the registry's SQLite handle. Synchronous (better-sqlite3);
 * every multi-row change runs in one transaction.
 */
export function createGovernanceStore(db: SqliteDatabase) {
  migrateGovernance(db);
  const robotSelect = `SELECT b.id, b.name, p.name AS project, b.secret_hash, b.description, b.expires_at,
      b.disabled, b.created_at FROM robots b LEFT JOIN projects p ON p.id = b.project_id`;
  const permissionsOf = db.prepare<[number], { project: string; action: ProjectAction }>(
    'SELECT project, action FROM robot_permissions WHERE robot_id = ? ORDER BY project, action',
  );
  const toRobot = (r: RobotRow): Robot => ({
    id: r.id,
    name: r.name,
    project: r.project ?? undefined,
    secretHash: r.secret_hash,
    description: r.description,
    expiresAt: r.expires_at ?? undefined,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    permissions: permissionsOf.all(r.id),
  });
  const blobBytes = (table: 'repository_blobs' | 'manifest_references') =>
    db.prepare<[string, string], { bytes: number | null }>(
      `SELECT sum(size) AS bytes FROM blobs WHERE digest IN (
         SELECT x.${table === 'repository_blobs' ? 'digest' : 'child_digest'} FROM ${table} x
         JOIN repositories r ON r.id = x.repository_id
         WHERE ${IN_PROJECT}${table === 'manifest_references' ? " AND x.kind = 'blob'" : ''})`,
    );
  const referencedBytes = blobBytes('manifest_references');
  const linkedBytes = blobBytes('repository_blobs');
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (time, username, remote_address, operation, project, resource, result, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let pendingAudit: Omit<AuditEntry, 'id'>[] = [];
  let auditTimer: NodeJS.Timeout | undefined;
  const writeAudit = db.transaction((entries: Omit<AuditEntry, 'id'>[]) => {
    for (const e of entries) {
      insertAudit.run(
        e.time,
        e.username ?? null,
        e.remoteAddress,
        e.operation,
        e.project ?? null,
        e.resource,
        e.result,
        e.detail ?? null,
      );
    }
  });
  /** Writes queued audit entries in one transaction. */
  const flushAudit = () => {
    if (auditTimer) clearTimeout(auditTimer);
    auditTimer = undefined;
    if (pendingAudit.length === 0) return;
    const entries = pendingAudit;
    pendingAudit = [];
    writeAudit(entries);
  };

  // Statements on every authorization decision are prepared once.
  const projectByName = db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE name = ?');
  const userByName = db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?');
  const robotByName = db.prepare<[string], RobotRow>(`${robotSelect} WHERE b.name = ?`);
  const roleOf = db.prepare<[string, string], { role: MemberRole }>(
    `SELECT m.role FROM members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
     WHERE p.name = ? AND u.name = ?`,
  );
  const blobInProject = db.prepare<[string, string, string], { one: number }>(
    `SELECT 1 AS one FROM repository_blobs x JOIN repositories r ON r.id = x.repository_id
     WHERE x.digest = ? AND ${IN_PROJECT} LIMIT 1`,
  );

  return {
    // Projects
    project(name: string): Project | undefined {
      const row = projectByName.get(name);
      return row && toProject(row);
    },
    projects(): Project[] {
      return db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY name').all().map(toProject);
    },
    createProject(name: string, isPublic: boolean, storageLimit: number, now: number): Project {
      db.prepare('INSERT INTO projects (name, public, storage_limit, created_at) VALUES (?, ?, ?, ?)').run(
        name,
        isPublic ? 1 : 0,
        storageLimit,
        now,
      );
      return this.project(name)!;
    },
    updateProject(
      name: string,
      change: { public?: boolean; storageLimit?: number; settings?: ProjectSettings },
    ): void {
      if (change.settings !== undefined)
        db.prepare('UPDATE projects SET settings = ? WHERE name = ?').run(
          JSON.stringify(change.settings),
          name,
        );
      if (change.public !== undefined)
        db.prepare('UPDATE projects SET public = ? WHERE name = ?').run(change.public ? 1 : 0, name);
      if (change.storageLimit !== undefined)
        db.prepare('UPDATE projects SET storage_limit = ? WHERE name = ?').run(change.storageLimit, name);
    },
    deleteProject(name: string): void {
      db.transaction(() => {
        db.prepare('DELETE FROM projects WHERE name = ?').run(name);
        // System robots' rights there must not come back with a new project of the same name.
        db.prepare('DELETE FROM robot_permissions WHERE project = ?').run(name);
      })();
    },
    /** Tags of a repository, or of every repository of a project, newest push first. */
    tags(scope: { repository: string } | { project: string }): TagRecord[] {
      const where = 'repository' in scope ? 'r.name = ?' : IN_PROJECT;
      const args = 'repository' in scope ? [scope.repository] : [scope.project, scope.project];
      return db
        .prepare<string[], TagRecord>(
          `SELECT r.name AS repository, t.name AS tag, t.manifest_digest AS digest, t.updated_at AS pushedAt,
             (SELECT p.pulled_at FROM tag_pulls p WHERE p.repository = r.name AND p.tag = t.name) AS pulledAt
           FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE ${where}
           ORDER BY r.name, t.updated_at DESC, t.name`,
        )
        .all(...args);
    },
    repositories(project: string): { name: string; tags: number; artifacts: number }[] {
      return db
        .prepare<[string, string], { name: string; tags: number; artifacts: number }>(
          `SELECT r.name,
             (SELECT count(*) FROM tags t WHERE t.repository_id = r.id) AS tags,
             (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS artifacts
           FROM repositories r WHERE ${IN_PROJECT} ORDER BY r.name`,
        )
        .all(project, project);
    },
    artifacts(repository: string): { digest: string; mediaType: string; tags: string[]; pushedAt: number }[] {
      const rows = db
        .prepare<[string], { digest: string; media_type: string; created_at: number; tags: string | null }>(
          `SELECT m.digest, m.media_type, m.created_at,
             (SELECT group_concat(t.name, ' ') FROM tags t
              WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest) AS tags
           FROM manifests m JOIN repositories r ON r.id = m.repository_id
           WHERE r.name = ? ORDER BY m.created_at DESC`,
        )
        .all(repository);
      return rows.map((r) => ({
        digest: r.digest,
        mediaType: r.media_type,
        tags: r.tags ? r.tags.split(' ').sort() : [],
        pushedAt: r.created_at,
      }));
    },
    /** Removes a repository's manifests, tags and links; its blobs go with the next GC. */
    deleteRepository(repository: string): boolean {
      return db.prepare('DELETE FROM repositories WHERE name = ?').run(repository).changes > 0;
    },
    /**
     * Storage of a project, counted by unique blobs: `used` by its artifacts,
     * `linked` by everything uploaded into it (including blobs of a push not yet finished).
     */
    usage(project: string): { used: number; linked: number } {
      return {
        used: referencedBytes.get(project, project)?.bytes ?? 0,
        linked: linkedBytes.get(project, project)?.bytes ?? 0,
      };
    },
    blobInProject(project: string, digest: string): boolean {
      return blobInProject.get(digest, project, project) !== undefined;
    },

    // Users
    user(name: string): User | undefined {
      const row = userByName.get(name);
      return row && toUser(row);
    },
    users(): User[] {
      return db.prepare<[], UserRow>('SELECT * FROM users ORDER BY name').all().map(toUser);
    },
    userCount(): number {
      return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users').get()?.n ?? 0;
    },
    createUser(name: string, passwordHash: string, sysadmin: boolean, now: number): User {
      db.prepare(
        'INSERT INTO users (name, password_hash, sysadmin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ).run(name, passwordHash, sysadmin ? 1 : 0, now, now);
      return this.user(name)!;
    },
    setPassword(name: string, passwordHash: string, now: number): void {
      db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?').run(
        passwordHash,
        now,
        name,
      );
    },
    setSysadmin(name: string, sysadmin: boolean): void {
      db.prepare('UPDATE users SET sysadmin = ? WHERE name = ?').run(sysadmin ? 1 : 0, name);
    },
    deleteUser(name: string): void {
      db.prepare('DELETE FROM users WHERE name = ?').run(name);
    },

    // Members
    role(project: string, user: string): MemberRole | undefined {
      return roleOf.get(project, user)?.role;
    },
    members(project: string): { username: string; role: MemberRole }[] {
      return db
        .prepare<[string], { username: string; role: MemberRole }>(
          `SELECT u.name AS username, m.role FROM members m JOIN projects p ON p.id = m.project_id
           JOIN users u ON u.id = m.user_id WHERE p.name = ? ORDER BY u.name`,
        )
        .all(project);
    },
    projectsOf(user: string): string[] {
      return db
        .prepare<[string], { name: string }>(
          `SELECT p.name FROM members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
           WHERE u.name = ?`,
        )
        .all(user)
        .map((r) => r.name);
    },
    setMember(project: string, user: string, role: MemberRole): void {
      db.prepare(
        `INSERT INTO members (project_id, user_id, role)
         VALUES ((SELECT id FROM projects WHERE name = ?), (SELECT id FROM users WHERE name = ?), ?)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`,
      ).run(project, user, role);
    },
    removeMember(project: string, user: string): boolean {
      return (
        db
          .prepare(
            `DELETE FROM members WHERE project_id = (SELECT id FROM projects WHERE name = ?)
             AND user_id = (SELECT id FROM users WHERE name = ?)`,
          )
          .run(project, user).changes > 0
      );
    },

    // Robots
    robot(name: string): Robot | undefined {
      const row = robotByName.get(name);
      return row && toRobot(row);
    },
    robots(project: string | undefined): Robot[] {
      const rows =
        project === undefined
          ? db.prepare<[], RobotRow>(`${robotSelect} WHERE b.project_id IS NULL ORDER BY b.name`).all()
          : db.prepare<[string], RobotRow>(`${robotSelect} WHERE p.name = ? ORDER BY b.name`).all(project);
      return rows.map(toRobot);
    },
    createRobot(robot: Omit<Robot, 'id' | 'disabled'>): Robot {
      db.transaction(() => {
        const { lastInsertRowid } = db
          .prepare(
            `INSERT INTO robots (name, project_id, secret_hash, description, expires_at, created_at)
             VALUES (?, (SELECT id FROM projects WHERE name = ?), ?, ?, ?, ?)`,
          )
          .run(
            robot.name,
            robot.project ?? null,
            robot.secretHash,
            robot.description,
            robot.expiresAt ?? null,
            robot.createdAt,
          );
        const insert = db.prepare(
          'INSERT INTO robot_permissions (robot_id, project, action) VALUES (?, ?, ?)',
        );
        for (const p of robot.permissions) insert.run(lastInsertRowid, p.project, p.action);
      })();
      return this.robot(robot.name)!;
    },
    setRobotDisabled(name: string, disabled: boolean): void {
      db.prepare('UPDATE robots SET disabled = ? WHERE name = ?').run(disabled ? 1 : 0, name);
    },
    deleteRobot(name: string): boolean {
      return db.prepare('DELETE FROM robots WHERE name = ?').run(name).changes > 0;
    },

    recordPull(repository: string, tag: string, now: number): void {
      db.prepare(
        `INSERT INTO tag_pulls (repository, tag, pulled_at) VALUES (?, ?, ?)
         ON CONFLICT (repository, tag) DO UPDATE SET pulled_at = excluded.pulled_at`,
      ).run(repository, tag, now);
    },

    // System settings
    setting<T>(key: string, fallback: T): T {
      const row = db
        .prepare<[string], { value: string }>('SELECT value FROM system_settings WHERE key = ?')
        .get(key);
      return row ? (JSON.parse(row.value) as T) : fallback;
    },
    setSetting(key: string, value: unknown): void {
      db.prepare(
        'INSERT INTO system_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, JSON.stringify(value));
    },

    // Audit log (append-only; only the retention setting removes old entries)
    purgeAudit(before: number): number {
      flushAudit();
      return db.prepare('DELETE FROM audit_log WHERE time < ?').run(before).changes;
    },
    /**
     * Queues an entry. Entries are written in batches (one transaction every
     * {@link AUDIT_FLUSH_MS} or {@link AUDIT_BATCH} entries): a write per pull
     * on the event loop cost a third of the manifest GET rate under load.
     * Every read of the log flushes first.
     */
    appendAudit(entry: Omit<AuditEntry, 'id'>): void {
      pendingAudit.push(entry);
      if (pendingAudit.length >= AUDIT_BATCH) flushAudit();
      else if (!auditTimer) {
        auditTimer = setTimeout(flushAudit, AUDIT_FLUSH_MS);
        auditTimer.unref();
      }
    },
    flushAudit,
    audit(query: AuditQuery): { total: number; entries: AuditEntry[] } {
      flushAudit();
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
        db
          .prepare<(string | number)[], { n: number }>(`SELECT count(*) AS n FROM audit_log ${clause}`)
          .get(...args)?.n ?? 0;
      const entries = db
        .prepare<(string | number)[], AuditRow>(
          `SELECT * FROM audit_log ${clause} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`,
        )
        .all(...args, query.limit, query.offset)
        .map(toAudit);
      return { total, entries };
    },
  };
}

export type GovernanceStore = ReturnType<typeof createGovernanceStore>;
