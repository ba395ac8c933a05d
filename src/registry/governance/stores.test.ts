import { after, before, describe } from 'node:test';
import pg from 'pg';
import { createPostgresMetadataStore } from '../metadata/postgres-store.js';
import { createSqliteMetadataStore } from '../metadata/sqlite-store.js';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { postgresGovernanceDatabase, sqliteGovernanceDatabase } from './database.js';
import { governanceStoreSuite } from './testsuite.js';

describe('governance store on SQLite', () => {
  governanceStoreSuite(async () => {
    const metadata = createSqliteMetadataStore(':memory:');
    return { metadata, db: sqliteGovernanceDatabase(metadata.database) };
  });
});

describe('governance store on PostgreSQL', { skip: postgresSkipReason() }, () => {
  let postgres: TestPostgres | undefined;
  let databases = 0;
  before(async () => {
    postgres = await startTestPostgres();
  });
  after(() => postgres?.stop());

  // A fresh database per test, with the registry's tables (the metadata store migrates them) beside governance's.
  governanceStoreSuite(async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const name = `governance_${++databases}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = postgres.url.replace(/\/postgres$/, `/${name}`);
    return { metadata: await createPostgresMetadataStore(url), db: postgresGovernanceDatabase(url) };
  });
});
