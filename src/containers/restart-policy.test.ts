import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRestartPolicy, policyRestarts, RestartScheduler } from './restart-policy.js';

describe('restart policies', () => {
  it('back off 100 ms doubling, and start over after a 10 s run', () => {
    const s = new RestartScheduler();
    assert.deepEqual(
      [s.nextDelay('a', 5), s.nextDelay('a', 5), s.nextDelay('a', 5), s.nextDelay('a', 10_000)],
      [100, 200, 400, 100],
    );
    for (let i = 0; i < 20; i++) s.nextDelay('b', 0);
    assert.equal(s.nextDelay('b', 0), 60_000, 'capped at a minute');
  });

  it('on-failure counts retries and ignores success; stops by hand win', () => {
    const p = checkRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 2 }, false);
    const facts = { exitCode: 1, manuallyStopped: false, restartCount: 1 };
    assert.equal(policyRestarts(p, facts), true);
    assert.equal(policyRestarts(p, { ...facts, restartCount: 2 }), false);
    assert.equal(policyRestarts(p, { ...facts, exitCode: 0 }), false);
    const always = checkRestartPolicy({ Name: 'always' }, false);
    assert.equal(policyRestarts(always, { ...facts, exitCode: 0 }), true);
    assert.equal(policyRestarts(always, { ...facts, manuallyStopped: true }), false);
  });

  it('refuses unknown names, counts without on-failure, and AutoRemove with a policy', () => {
    assert.throws(() => checkRestartPolicy({ Name: 'sometimes' }, false), /unknown policy 'sometimes'/);
    assert.throws(
      () => checkRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }, false),
      /only be used with 'on-failure'/,
    );
    assert.throws(() => checkRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 }, false), /negative/);
    assert.throws(() => checkRestartPolicy({ Name: 'always' }, true), /AutoRemove/);
  });

  it('a cancelled wait resolves false', async () => {
    const s = new RestartScheduler();
    const waiting = s.wait('x', 10_000);
    assert.equal(s.cancel('x'), true);
    assert.equal(await waiting, false);
  });
});
