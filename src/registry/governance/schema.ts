import type { GovernanceDatabase } from './database.js';

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

/**
 * The same tables on PostgreSQL, version for version: BIGINT times and ids,
 * `C` collation so names sort by byte as on SQLite, flags kept as 0/1.
 */
const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    public INTEGER NOT NULL DEFAULT 0,
    storage_limit BIGINT NOT NULL DEFAULT -1,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    sysadmin INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE members (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
  );
  CREATE TABLE robots (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    project_id BIGINT REFERENCES projects(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    expires_at BIGINT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE robot_permissions (
    robot_id BIGINT NOT NULL REFERENCES robots(id) ON DELETE CASCADE,
    project TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (robot_id, project, action)
  );
  CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    time BIGINT NOT NULL,
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
  CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
  CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  `,
  `
  ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
  `,
  `
  CREATE TABLE system_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  CREATE TABLE tag_pulls (
    repository TEXT COLLATE "C" NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    pulled_at BIGINT NOT NULL,
    PRIMARY KEY (repository, tag)
  );
  `,
];

/** Brings the governance tables up to date (in one transaction, which on PostgreSQL holds the writer lock). */
export async function migrateGovernance(db: GovernanceDatabase): Promise<void> {
  const migrations = db.dialect === 'postgres' ? POSTGRES_MIGRATIONS : MIGRATIONS;
  await db.transaction(async (tx) => {
    await tx.exec('CREATE TABLE IF NOT EXISTS governance_schema (version INTEGER NOT NULL)');
    const row = await tx.get<{ version: number }>('SELECT version FROM governance_schema');
    const version = row?.version ?? 0;
    if (version > migrations.length) {
      throw new Error(`governance schema is at version ${version}, newer than this berth-registry`);
    }
    for (let next = version; next < migrations.length; next++) await tx.exec(migrations[next] ?? '');
    await tx.run('DELETE FROM governance_schema');
    await tx.run('INSERT INTO governance_schema (version) VALUES (?)', [migrations.length]);
  });
}
