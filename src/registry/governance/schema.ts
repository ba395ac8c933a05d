import { type ColumnTypes, columnTypesOf } from './column-types.js';
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
/** UPDATE on audit_log is refused: SQLite raises in a trigger, PostgreSQL in a trigger function. */
const APPEND_ONLY = {
  sqlite: `CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`,
  postgres: `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
  CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();`,
} as const;

/** The migrations, version for version, as {@link ColumnTypes} writes them on either database. */
const migrationsFor = (
  { serial, int64, bytewiseText, withoutRowid }: ColumnTypes,
  appendOnly: string,
): readonly string[] => [
  `
  CREATE TABLE projects (
    id ${serial},
    name ${bytewiseText} NOT NULL UNIQUE,
    public INTEGER NOT NULL DEFAULT 0,
    storage_limit ${int64} NOT NULL DEFAULT -1,
    created_at ${int64} NOT NULL
  );
  CREATE TABLE users (
    id ${serial},
    name ${bytewiseText} NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    sysadmin INTEGER NOT NULL DEFAULT 0,
    created_at ${int64} NOT NULL,
    updated_at ${int64} NOT NULL
  );
  CREATE TABLE members (
    project_id ${int64} NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id ${int64} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
  )${withoutRowid};
  CREATE TABLE robots (
    id ${serial},
    name ${bytewiseText} NOT NULL UNIQUE,
    project_id ${int64} REFERENCES projects(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    expires_at ${int64},
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at ${int64} NOT NULL
  );
  CREATE TABLE robot_permissions (
    robot_id ${int64} NOT NULL REFERENCES robots(id) ON DELETE CASCADE,
    project ${bytewiseText} NOT NULL,
    action ${bytewiseText} NOT NULL,
    PRIMARY KEY (robot_id, project, action)
  )${withoutRowid};
  CREATE TABLE audit_log (
    id ${serial},
    time ${int64} NOT NULL,
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
  ${appendOnly}
  `,
  `
  ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
  `,
  `
  CREATE TABLE system_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)${withoutRowid};
  `,
  `
  CREATE TABLE tag_pulls (
    repository ${bytewiseText} NOT NULL,
    tag ${bytewiseText} NOT NULL,
    pulled_at ${int64} NOT NULL,
    PRIMARY KEY (repository, tag)
  )${withoutRowid};
  `,
];

/** Brings the governance tables up to date (in one transaction, which on PostgreSQL holds the writer lock). */
export async function migrateGovernance(db: GovernanceDatabase): Promise<void> {
  const migrations = migrationsFor(columnTypesOf(db), APPEND_ONLY[db.dialect]);
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
