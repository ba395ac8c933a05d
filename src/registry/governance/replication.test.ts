import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../core/logger.js';
import { buildConfig } from '../config.js';
import { createPostgresMetadataStore } from '../metadata/postgres-store.js';
import { createSqliteMetadataStore } from '../metadata/sqlite-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';
import { createTestRegistry, pushImage, type TestRegistry } from '../testing/harness.js';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { type GovernanceDatabase, postgresGovernanceDatabase, sqliteGovernanceDatabase } from './database.js';
import { createGovernance, type Governance } from './governance.js';
import { createReplication, type Replication } from './replication.js';

const TARGET_PASSWORD = 'Target-admin-1';
const DAY = 86_400_000;

// Source: an in-memory registry with governance; target: a berth-registry in token mode on loopback.
describe('berth-registry replication on SQLite: schedule, filters, token login to the target', () => {
  replicationSuite(async () => {
    const metadata = createSqliteMetadataStore(':memory:');
    return { metadata, db: sqliteGovernanceDatabase(metadata.database) };
  });
});

describe('berth-registry replication on PostgreSQL', { skip: postgresSkipReason() }, () => {
  let postgres: TestPostgres | undefined;
  before(async () => {
    postgres = await startTestPostgres();
  });
  replicationSuite(async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    return {
      metadata: await createPostgresMetadataStore(postgres.url),
      db: postgresGovernanceDatabase(postgres.url),
    };
  });
  after(() => postgres?.stop());
});

function replicationSuite(open: () => Promise<{ metadata: MetadataStore; db: GovernanceDatabase }>): void {
  let source: TestRegistry;
  let governance: Governance;
  let replication: Replication;
  let target: RunningRegistry;
  let root: string;
  let clock = Date.now();
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];

  before(async () => {
    const { metadata, db } = await open();
    source = await createTestRegistry({ metadata });
    governance = await createGovernance({
      db,
      logger: silentLogger,
      adminPassword: 'Source-admin-1',
      bcryptCost: 4,
    });
    await governance.store.createProject('team', false, -1, clock);
    for (const tag of ['v1', 'v2', 'dev']) await pushImage(source.app, 'team/app', tag);
    await pushImage(source.app, 'team/other', 'v1');
    replication = await createReplication({
      db,
      registry: source.registry,
      governance,
      logger: silentLogger,
      now: () => clock,
    });

    root = await mkdtemp(join(tmpdir(), 'berth-registry-replication-unit-'));
    process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = TARGET_PASSWORD;
    target = await startRegistryServer(
      buildConfig({ auth: { mode: 'token' }, gc: { interval: 0 } }, { addr: '127.0.0.1:0', root }),
      silentLogger,
    );
    const created = await target.app.inject({
      method: 'POST',
      url: '/api/v2.0/projects',
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${TARGET_PASSWORD}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      payload: JSON.stringify({ project_name: 'dr' }),
    });
    assert.equal(created.statusCode, 201, created.body);
  });
  after(async () => {
    replication?.close();
    await replication?.idle();
    await governance?.close();
    await source?.close();
    await target?.close();
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses a scheduled rule without a schedule, naming the field', async () => {
    await assert.rejects(
      () =>
        replication.createPolicy({
          name: 'x',
          direction: 'push',
          project: 'team',
          remote: { url: `http://${target.address}` },
          trigger: 'scheduled',
        }),
      /schedule:/,
    );
  });

  it('runs a daily rule once a day, copying only matching repositories and tags', async () => {
    const policy = await replication.createPolicy({
      name: 'nightly',
      direction: 'push',
      project: 'team',
      remote: { url: `http://${target.address}`, username: 'admin', password: TARGET_PASSWORD },
      remote_namespace: 'dr',
      repositories: ['app'],
      tags: ['v*'],
      trigger: 'scheduled',
      schedule: 'daily',
    });
    assert.equal(await replication.runDue(), 0, 'not due before a day has passed');
    clock += DAY + 1;
    assert.equal(await replication.runDue(), 1);
    assert.equal(await replication.runDue(), 0, 'one run per period');
    await replication.idle();
    const [first] = await replication.executions(policy.id);
    assert.equal(first?.status, 'succeeded', JSON.stringify(await replication.tasks(first!.id)));
    assert.deepEqual(
      (await replication.tasks(first!.id)).map((t) => `${t.destination}:${t.tag} ${t.status}`).sort(),
      ['dr/app:v1 succeeded', 'dr/app:v2 succeeded'],
    );

    // The next day's run finds both at the target (asked over its token login) and skips them.
    clock += DAY;
    assert.equal(await replication.runDue(), 1);
    await replication.idle();
    const [second] = await replication.executions(policy.id);
    assert.deepEqual(
      (await replication.tasks(second!.id)).map((t) => t.status),
      ['skipped', 'skipped'],
    );
  });
}
