import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { main } from './main.js';
import { warmUp } from './warm-up.js';

const warmUpDirs = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('berth-warm-up-'));

describe('warmUp', () => {
  it('runs berth run to its end against the stand-in daemon and leaves no handle or socket behind', {
    timeout: 10_000,
  }, async () => {
    const before = await warmUpDirs();
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    // It throws when the run does not exit 0: the snapshot build would then warn and ship no snapshot.
    await warmUp(main);
    // A snapshot cannot hold open handles: the listener and every connection are closed.
    const handlesAfter = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    assert.deepEqual(
      handlesAfter.filter((r) => r === 'PipeWrap' || r === 'PipeServerWrap'),
      handlesBefore.filter((r) => r === 'PipeWrap' || r === 'PipeServerWrap'),
    );
    // Its socket's directory is gone (others may warm up at the same time: compare names).
    const left = (await warmUpDirs()).filter((name) => !before.includes(name));
    assert.deepEqual(left, []);
  });
});
