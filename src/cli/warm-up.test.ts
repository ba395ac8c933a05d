import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from './main.js';
import { unixRequest } from './unix-http.js';
import { warmUp } from './warm-up.js';

describe('warmUp', () => {
  it('runs berth run to its end against the in-memory daemon, then connects for real again', {
    timeout: 10_000,
  }, async () => {
    // It throws when the run does not exit 0: the snapshot build would then warn and ship no snapshot.
    await warmUp(main);
    await assert.rejects(
      unixRequest(`/nonexistent-${process.pid}/berth.sock`, { method: 'HEAD', path: '/_ping', headers: {} }),
      { code: 'ENOENT' },
    );
  });
});
