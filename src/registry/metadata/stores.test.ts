import { after, before, describe } from 'node:test';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { createPostgresMetadataStore } from './postgres-store.js';
import { createSqliteMetadataStore } from './sqlite-store.js';
import { metadataStoreSuite } from './testsuite.js';

describe('SQLite metadata store', () => {
  metadataStoreSuite(async () => createSqliteMetadataStore(':memory:'));
});

describe('PostgreSQL metadata store', { skip: postgresSkipReason() }, () => {
  let postgres: TestPostgres | undefined;
  let databases = 0;
  before(async () => {
    postgres = await startTestPostgres();
  });
  after(() => postgres?.stop());

  // A fresh schema per test: each store gets its own database in the one cluster.
  metadataStoreSuite(async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    const admin = await createPostgresAdmin(postgres.url);
    const name = `store_${++databases}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return createPostgresMetadataStore(postgres.url.replace(/\/postgres$/, `/${name}`));
  });
});

async function createPostgresAdmin(url: string) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
