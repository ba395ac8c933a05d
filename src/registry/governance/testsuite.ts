import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Digest, sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { hasCode } from '../errors.js';
import type { ManifestRecord, MetadataStore } from '../metadata/store.js';
import type { GovernanceDatabase } from './database.js';
import { createGovernance } from './governance.js';
import { createGovernanceStore, type GovernanceStore } from './store.js';
import { createWebhooks } from './webhooks.js';

/** A fresh, empty registry database: the metadata store and the governance handle on it. */
export interface GovernanceFixture {
  metadata: MetadataStore;
  db: GovernanceDatabase;
}

const image = (repository: string, seed: string, blobs: Digest[]): ManifestRecord => ({
  repository,
  digest: sha256Of(`manifest ${seed}`),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  content: Buffer.from(`manifest ${seed}`),
  blobs,
  manifests: [],
});

/**
 * The contract the governance tables keep on SQLite and on PostgreSQL.
 * Call inside a `describe` with a factory of fresh databases.
 */
export function governanceStoreSuite(create: () => Promise<GovernanceFixture>): void {
  const withStore =
    (test: (store: GovernanceStore, fixture: GovernanceFixture) => Promise<void>) => async () => {
      const fixture = await create();
      try {
        await test(await createGovernanceStore(fixture.db), fixture);
      } finally {
        await fixture.db.close();
        await fixture.metadata.close();
      }
    };

  it(
    'keeps projects, users and members, sorted by name in byte order',
    withStore(async (store) => {
      for (const name of ['team', 'Big', 'alpha']) await store.createProject(name, name === 'alpha', 1000, 5);
      assert.deepEqual(
        (await store.projects()).map((p) => [p.name, p.public, p.storageLimit]),
        [
          ['Big', false, 1000],
          ['alpha', true, 1000],
          ['team', false, 1000],
        ],
      );
      await store.updateProject('team', {
        public: true,
        storageLimit: -1,
        settings: { immutableTags: ['v*'], retention: { keepLast: 2 } },
      });
      const team = await store.project('team');
      assert.equal(team?.public, true);
      assert.equal(team?.storageLimit, -1);
      assert.deepEqual(team?.settings, { immutableTags: ['v*'], retention: { keepLast: 2 } });
      assert.equal(team?.createdAt, 5);
      await assert.rejects(store.createProject('team', false, -1, 6), 'names are unique');

      await store.createUser('dev', 'hash-1', false, 10);
      await store.createUser('root', 'hash-2', true, 10);
      assert.equal(await store.userCount(), 2);
      await store.setPassword('dev', 'hash-3', 20);
      const dev = await store.user('dev');
      assert.deepEqual(
        [dev?.passwordHash, dev?.sysadmin, dev?.createdAt, dev?.updatedAt],
        ['hash-3', false, 10, 20],
      );
      await store.setSysadmin('dev', true);
      assert.equal((await store.user('dev'))?.sysadmin, true);

      await store.setMember('team', 'dev', 'guest');
      await store.setMember('team', 'dev', 'developer');
      await store.setMember('alpha', 'dev', 'maintainer');
      assert.equal(await store.role('team', 'dev'), 'developer');
      assert.deepEqual(await store.members('team'), [{ username: 'dev', role: 'developer' }]);
      assert.deepEqual(await store.projectsOf('dev'), ['alpha', 'team']);
      assert.equal(await store.removeMember('alpha', 'dev'), true);
      assert.equal(await store.removeMember('alpha', 'dev'), false);
      await store.deleteUser('dev');
      assert.deepEqual(await store.members('team'), [], 'memberships go with their user');
      await store.deleteProject('team');
      assert.equal(await store.project('team'), undefined);
    }),
  );

  it(
    'creates a robot with its permissions in one transaction',
    withStore(async (store) => {
      await store.createProject('team', false, -1, 1);
      const robot = await store.createRobot({
        name: 'robot$team+ci',
        project: 'team',
        secretHash: 'h',
        description: 'CI',
        expiresAt: 9_999_999_999_999,
        createdAt: 2,
        permissions: [
          { project: 'team', action: 'push' },
          { project: 'team', action: 'pull' },
        ],
      });
      assert.deepEqual(robot.permissions, [
        { project: 'team', action: 'pull' },
        { project: 'team', action: 'push' },
      ]);
      assert.equal(robot.expiresAt, 9_999_999_999_999, 'times past 2^31 survive');
      assert.equal(robot.disabled, false);
      await store.setRobotDisabled('robot$team+ci', true);
      assert.equal((await store.robot('robot$team+ci'))?.disabled, true);
      // A duplicate permission fails the second insert: the robot row goes back out too.
      await assert.rejects(
        store.createRobot({
          name: 'robot$broken',
          project: undefined,
          secretHash: 'h',
          description: '',
          expiresAt: undefined,
          createdAt: 3,
          permissions: [
            { project: '*', action: 'pull' },
            { project: '*', action: 'pull' },
          ],
        }),
      );
      assert.equal(await store.robot('robot$broken'), undefined);
      assert.deepEqual(
        (await store.robots(undefined)).map((r) => r.name),
        [],
      );
      assert.deepEqual(
        (await store.robots('team')).map((r) => r.name),
        ['robot$team+ci'],
      );
      assert.equal(await store.deleteRobot('robot$team+ci'), true);
      assert.equal(await store.deleteRobot('robot$team+ci'), false);
    }),
  );

  it(
    'rolls back a transaction that throws',
    withStore(async (store, { db }) => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO projects (name, public, storage_limit, created_at) VALUES (?, ?, ?, ?)', [
            'half',
            0,
            -1,
            1,
          ]);
          throw new Error('stop');
        }),
        /stop/,
      );
      assert.equal(await store.project('half'), undefined);
    }),
  );

  it(
    'counts usage by unique blobs, and lists repositories, tags and artifacts of a project',
    withStore(async (store, { metadata }) => {
      await store.createProject('team', false, -1, 1);
      const [a, b] = [sha256Of('layer a'), sha256Of('layer b')];
      for (const [digest, size] of [
        [a, 600],
        [b, 300],
      ] as const) {
        await metadata.claimBlob(digest, size, 1);
        await metadata.confirmBlob(digest);
      }
      for (const repository of ['team/app', 'team/other', 'teamx/app'])
        await metadata.linkBlob(repository, a, 1);
      await metadata.linkBlob('team/app', b, 1);
      assert.deepEqual(await store.usage('team'), { used: 0, linked: 900 });
      await metadata.putManifest(image('team/app', 'one', [a]), 'v1', 100);
      await metadata.putManifest(image('team/app', 'one', [a]), 'latest', 200);
      assert.deepEqual(await store.usage('team'), { used: 600, linked: 900 });
      assert.deepEqual(await store.usage('nobody'), { used: 0, linked: 0 });
      assert.equal(await store.blobInProject('team', b), true);
      assert.equal(await store.blobInProject('teamx', b), false, 'a prefix of a name is another project');

      assert.deepEqual(await store.repositories('team'), [
        { name: 'team/app', tags: 2, artifacts: 1 },
        { name: 'team/other', tags: 0, artifacts: 0 },
      ]);
      await store.recordPull('team/app', 'v1', 300);
      await store.recordPull('team/app', 'v1', 400);
      assert.deepEqual(await store.tags({ project: 'team' }), [
        {
          repository: 'team/app',
          tag: 'latest',
          digest: image('team/app', 'one', []).digest,
          pushedAt: 200,
          pulledAt: null,
        },
        {
          repository: 'team/app',
          tag: 'v1',
          digest: image('team/app', 'one', []).digest,
          pushedAt: 100,
          pulledAt: 400,
        },
      ]);
      assert.deepEqual(
        (await store.artifacts('team/app')).map((x) => x.tags),
        [['latest', 'v1']],
      );
      assert.equal(await store.deleteRepository('team/app'), true);
      assert.deepEqual(await store.tags({ repository: 'team/app' }), []);
      assert.deepEqual(await store.usage('team'), { used: 0, linked: 600 });
    }),
  );

  it(
    'keeps the audit log append-only: no UPDATE, only purging by age',
    withStore(async (store, { db }) => {
      for (const [time, username, result] of [
        [1000, 'dev', 'success'],
        [2000, undefined, 'failure'],
        [3000, 'guest', 'failure'],
      ] as const) {
        store.appendAudit({
          time,
          username,
          remoteAddress: '127.0.0.1',
          operation: 'push',
          project: 'team',
          resource: 'team/app:v1',
          result,
          detail: result === 'failure' ? 'HTTP 403' : undefined,
        });
      }
      const all = await store.audit({ limit: 10, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.entries.map((e) => [e.time, e.username, e.result, e.detail]),
        [
          [3000, 'guest', 'failure', 'HTTP 403'],
          [2000, undefined, 'failure', 'HTTP 403'],
          [1000, 'dev', 'success', undefined],
        ],
      );
      const page = await store.audit({ username: 'guest', from: 2000, to: 3000, limit: 1, offset: 0 });
      assert.deepEqual([page.total, page.entries[0]?.time], [1, 3000]);
      await assert.rejects(db.run("UPDATE audit_log SET result = 'success'"), /append-only/);
      assert.deepEqual(
        (await store.audit({ limit: 10, offset: 0 })).entries.map((e) => e.result),
        ['failure', 'failure', 'success'],
        'the refused UPDATE changed nothing',
      );
      assert.equal(await store.purgeAudit(2500), 2);
      assert.deepEqual(
        (await store.audit({ limit: 10, offset: 0 })).entries.map((e) => e.time),
        [3000],
      );
    }),
  );

  it(
    'keeps system settings as JSON',
    withStore(async (store) => {
      assert.equal(await store.setting('audit_retention_days', 0), 0);
      await store.setSetting('audit_retention_days', 30);
      await store.setSetting('audit_retention_days', 7);
      assert.equal(await store.setting('audit_retention_days', 0), 7);
    }),
  );

  it('refuses a blob over the quota and leaves usage as it was, also for uploads racing each other', async () => {
    const fixture = await create();
    const gov = await createGovernance({
      db: fixture.db,
      logger: silentLogger,
      adminPassword: 'Quota-admin-1',
      bcryptCost: 4,
    });
    try {
      await gov.store.createProject('team', false, 1000, 1);
      const first = sha256Of('first');
      await gov.admitBlob('team/app', first, 600);
      await fixture.metadata.claimBlob(first, 600, 1);
      await fixture.metadata.confirmBlob(first);
      await fixture.metadata.linkBlob('team/app', first, 1);
      await assert.rejects(gov.admitBlob('team/app', sha256Of('too big'), 600), (err) =>
        hasCode(err, 'DENIED'),
      );
      assert.deepEqual(await gov.store.usage('team'), { used: 0, linked: 600 });
      // 400 bytes are left: of two 300-byte uploads admitted at once, one fits.
      const results = await Promise.allSettled([
        gov.admitBlob('team/app', sha256Of('left'), 300),
        gov.admitBlob('team/other', sha256Of('right'), 300),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      // A blob the project holds already costs nothing.
      await gov.admitBlob('team/other', first, 600);
    } finally {
      await gov.close();
      await fixture.metadata.close();
    }
  });

  it(
    'keeps webhook policies and queues deliveries for audited events',
    withStore(async (_store, { db }) => {
      const webhooks = await createWebhooks({ db, logger: silentLogger, backoffMs: [] });
      try {
        const { policy, secret } = await webhooks.create('team', {
          name: 'ci',
          url: 'http://127.0.0.1:9/hook',
          events: ['PUSH_ARTIFACT'],
        });
        assert.ok(secret.length >= 16);
        await assert.rejects(
          webhooks.create('team', { name: 'ci', url: 'http://127.0.0.1:9/', events: ['PUSH_ARTIFACT'] }),
          /name: a webhook policy named ci exists/,
        );
        const updated = await webhooks.update('team', policy.id, {
          enabled: true,
          events: ['PUSH_ARTIFACT', 'PULL_ARTIFACT'],
        });
        assert.deepEqual(updated.events, ['PUSH_ARTIFACT', 'PULL_ARTIFACT']);
        webhooks.onAudit({
          time: 1,
          username: 'dev',
          remoteAddress: '',
          operation: 'push',
          project: 'team',
          resource: 'team/app:v1',
          result: 'success',
          detail: undefined,
        });
        await webhooks.idle();
        const [delivery] = await webhooks.deliveries(policy.id);
        assert.equal(delivery?.event, 'PUSH_ARTIFACT');
        assert.equal(delivery?.status, 'failed', 'nothing listens on port 9, and no retries are configured');
        assert.equal(delivery?.attempts, 1);
        const again = await webhooks.redeliver(policy.id, delivery!.id);
        assert.equal(again.status, 'pending');
        await webhooks.idle();
        await webhooks.remove('team', policy.id);
        assert.deepEqual(await webhooks.policies('team'), []);
      } finally {
        webhooks.close();
        await webhooks.idle();
      }
    }),
  );
}
