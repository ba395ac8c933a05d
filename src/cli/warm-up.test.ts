import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from './main.js';
import { serveStandIn, warmUp } from './warm-up.js';

describe('warmUp', () => {
  it('runs berth run (ping, create, attach, wait, start) and berth version (ping, version) against the stand-in daemon', {
    timeout: 10_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-warm-up-test-'));
    const standIn = await serveStandIn(join(dir, 'berth.sock'));
    try {
      // It throws when the run does not exit 0: the snapshot build would then warn and ship no snapshot.
      await warmUp(main, join(dir, 'berth.sock'));
      const id = '0'.repeat(64);
      // The ping goes ahead and attach and wait go together: compare as sets.
      assert.deepEqual(
        [...standIn.requests].sort(),
        [
          'HEAD /_ping',
          'POST /v1.45/containers/create',
          `POST /v1.45/containers/${id}/attach`,
          `POST /v1.45/containers/${id}/start`,
          `POST /v1.45/containers/${id}/wait`,
          'HEAD /_ping',
          'GET /v1.45/version',
        ].sort(),
      );
    } finally {
      await standIn.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails when the run does not succeed, so that the build ships no snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-warm-up-test-'));
    try {
      // Nothing listens there: the run fails to connect and exits non-zero.
      await assert.rejects(warmUp(main, join(dir, 'berth.sock')), /the warm-up's berth run exited 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
