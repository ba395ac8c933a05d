import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

// Found by the soak: a container that exits at its stop timeout is no longer Running
// while its exit is still being cleaned up (network, runtime state, rootfs mount); stop
// returned in that window, and the next start's rootfs was unmounted under it
// ("exec: sh: executable file not found").

describe('stop at the timeout, then start at once', {
  skip: fixturesMissing || (dockerCli() ? false : 'no docker CLI'),
}, () => {
  const fixture = withBusyboxDaemon('berth-stop-start-');

  it('every start after a stop runs the container', { timeout: 300_000 }, async () => {
    // The shell leaves about when `stop -t 1` gives up waiting: its exit and the
    // timeout meet, round after round.
    const created = await fixture.run(
      'create',
      'busybox',
      'sh',
      '-c',
      'trap "sleep 0.9; exit 0" TERM; while true; do sleep 0.1; done',
    );
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    for (let round = 0; round < 12; round++) {
      const started = await fixture.run('start', id);
      assert.equal(started.code, 0, `round ${round}: ${started.stderr}`);
      assert.equal(await fixture.inspect('{{.State.Status}}', id), 'running', `round ${round}`);
      const stopped = await fixture.run('stop', '-t', '1', id);
      assert.equal(stopped.code, 0, `round ${round}: ${stopped.stderr}`);
      assert.equal(await fixture.inspect('{{.State.Status}}', id), 'exited', `round ${round}`);
    }
  });
});
