import type { SqliteDatabase } from '../metadata/sqlite-database.js';

/**
 * Governance tables, in the registry's database but versioned on their own
 * (`governance_schema`), so the registry's and governance's migrations never
 * interleave. Migrations only append.
 *
 *     projects          name → public, storage limit (bytes, -1 = unlimited)
 *     users             name → bcrypt hash, sysadmin flag
 *     members           (project, user) → role
 *     robots            name → bcrypt hash of the secret, level (project | system), expiry, disabled
 *     robot_permissions (robot, project or '*', action)
 *     audit_log         append-only: who, from where, what, when, result (UPDATE is refused by a trigger)
 *
 * Version 2: projects.settings, JSON: immutable tag patterns and the retention policy.
 * Version 3: system_settings, key → JSON value (audit-log retention).
 * Version 4: tag_pulls, (repository, tag) → last pull (retention by pull time).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    public INTEGER NOT NULL DEFAULT 0,
    storage_limit INTEGER NOT NULL DEFAULT -1,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    sysadmin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE members (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
  ) WITHOUT ROWID;
  CREATE TABLE robots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    expires_at INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE robot_permissions (
    robot_id INTEGER NOT NULL REFERENCES robots(id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    action TEXT NOT NULL,
    PRIMARY KEY (robot_id, project, action)
  ) WITHOUT ROWID;
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    username TEXT,
    remote_address TEXT NOT NULL,
    operation TEXT NOT NULL,
    project TEXT,
    resource TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_log_by_time ON audit_log(time);
  CREATE INDEX audit_log_by_project ON audit_log(project, time);
  CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  `
  ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
  `,
  `
  CREATE TABLE system_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `,
  `
  CREATE TABLE tag_pulls (
    repository TEXT NOT NULL,
    tag TEXT NOT NULL,
    pulled_at INTEGER NOT NULL,
    PRIMARY KEY (repository, tag)
  ) WITHOUT ROWID;
  `,
];

/** Brings the governance tables up to date. */
export function migrateGovernance(db: SqliteDatabase): void {
  db.exec('CREATE TABLE IF NOT EXISTS governance_schema (version INTEGER NOT NULL)');
  db.transaction(() => {
    const row = db.prepare<[], { version: number }>('SELECT version FROM governance_schema').get();
    const version = row?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(`governance schema is at version ${version}, newer than this berth-registry`);
    }
    for (let next = version; next < MIGRATIONS.length; next++) db.exec(MIGRATIONS[next] ?? '');
    db.exec('DELETE FROM governance_schema');
    db.prepare('INSERT INTO governance_schema (version) VALUES (?)').run(MIGRATIONS.length);
  }).immediate();
}
