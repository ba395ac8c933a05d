import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../core/logger.js';
import type { SqliteDatabase } from '../metadata/sqlite-database.js';
import { createTestRegistry, pushImage } from '../testing/harness.js';
import { sqliteGovernanceDatabase } from './database.js';
import { createGovernance } from './governance.js';
import { scheduleRetention } from './retention.js';

describe('scheduled retention', () => {
  it('runs a project policy with a schedule by itself, once per period, and audits it', async () => {
    const test = await createTestRegistry();
    const { database } = test.registry.context.metadata as unknown as { database: SqliteDatabase };
    const gov = await createGovernance({
      db: sqliteGovernanceDatabase(database),
      logger: silentLogger,
      adminPassword: 'Sched-admin-1',
      bcryptCost: 4,
    });
    const stop = scheduleRetention(
      gov,
      (repository, tag) => test.registry.repository(repository).manifests.delete({ tag }),
      silentLogger,
      10,
    );
    try {
      await gov.store.createProject('nightly', false, -1, Date.now());
      await gov.store.createProject('manual', false, -1, Date.now());
      for (const tag of ['1', '2', '3']) {
        await pushImage(test.app, 'nightly/app', tag);
        await pushImage(test.app, 'manual/app', tag);
        test.clock.now += 1000; // the registry's clock stamps push times
      }
      await gov.store.updateProject('nightly', {
        settings: { retention: { keepLast: 1, schedule: 'daily' } },
      });
      await gov.store.updateProject('manual', { settings: { retention: { keepLast: 1 } } });
      const tagsOf = async (project: string) => (await gov.store.tags({ project })).map((t) => t.tag);
      for (let i = 0; i < 500 && (await tagsOf('nightly')).length > 1; i++) await sleep(10);
      assert.deepEqual(await tagsOf('nightly'), ['3']);
      assert.deepEqual(
        (await tagsOf('manual')).sort(),
        ['1', '2', '3'],
        'a policy without a schedule waits for a run by hand',
      );
      // Within the period it does not run again: a new tag stays.
      await pushImage(test.app, 'nightly/app', '4');
      await sleep(100);
      assert.deepEqual((await tagsOf('nightly')).sort(), ['3', '4']);
      const runs = (await gov.store.audit({ operation: 'retention_run', limit: 10, offset: 0 })).entries;
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.project, 'nightly');
      assert.equal(runs[0]?.remoteAddress, 'scheduler');
    } finally {
      stop();
      await gov.close();
      await test.close();
    }
  });
});
