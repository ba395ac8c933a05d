import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { waitExit } from '../testing/daemon.js';
import { diffOwned, execRootLeftovers, leakCount, rootsOfDaemon, snapshotOwned } from '../testing/leaks.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

// Containers ended every way a user ends them leave nothing on the host once removed: no
// cgroup directory under /sys/fs/cgroup/<controller>/berth, no mount, netns, veth, monitor
// process, bundle, exit file or rootfs mount point.

const docker = dockerCli();
const skip = fixturesMissing || (!docker ? 'no docker CLI' : process.getuid?.() !== 0 && 'needs root');

describe('what removed containers leave on the host', { skip }, () => {
  const fixture = withBusyboxDaemon('berth-container-leaks-');
  const ok = async (...args: string[]) => {
    const r = await fixture.run(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  it('runs, stops, rm -f, an OOM kill, a crash, restarts by policy and a kill -9 of berthd leave no cgroup or other leftover', async () => {
    const roots = await rootsOfDaemon(fixture.daemon);
    const before = await snapshotOwned(roots);
    const ids = new Set<string>();
    const detached = async (...args: string[]) => {
      const id = await ok('run', '-d', ...args);
      ids.add(id);
      return id;
    };
    const waitExited = (id: string) => ok('wait', id);

    // Exits on its own; stopped; removed while running.
    const exited = await detached('busybox', 'true');
    const stopped = await detached('busybox', 'sleep', '60');
    const forced = await detached('busybox', 'sleep', '60');
    // The memory limit's OOM killer ends it.
    const oom = await detached(
      '-m',
      '8m',
      '--memory-swap',
      '8m',
      'busybox',
      'sh',
      '-c',
      'x=a; while true; do x=$x$x; done',
    );
    // Its main process dies of SIGSEGV (pid 1 ignores signals it has no handler for, so a
    // child crashes and the shell passes the status on, as a crashing service's wrapper does).
    const crashed = await detached('busybox', 'sh', '-c', 'sh -c "kill -SEGV \\$\\$"; exit $?');
    // Started three times by its restart policy (each start a new runtime container).
    const restarted = await detached('--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3');
    await ok('stop', '-t', '1', stopped);
    for (const id of [exited, oom, crashed]) await waitExited(id);
    assert.equal(await fixture.inspect('{{.State.OOMKilled}} {{.State.ExitCode}}', oom), 'true 137');
    assert.equal(await fixture.inspect('{{.State.ExitCode}}', crashed), '139');
    for (let i = 0; i < 100; i++) {
      if ((await fixture.inspect('{{.RestartCount}} {{.State.Status}}', restarted)) === '2 exited') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(await fixture.inspect('{{.RestartCount}} {{.State.Status}}', restarted), '2 exited');
    // A container that was running when berthd died, removed by the restarted daemon.
    const orphan = await detached('busybox', 'sleep', '60');
    fixture.daemon.process.kill('SIGKILL');
    await waitExit(fixture.daemon.process);
    await fixture.startAgain();
    // An auto-removed one.
    assert.equal(await ok('run', '--rm', 'busybox', 'echo', 'gone'), 'gone');

    for (const id of [exited, stopped, oom, crashed, restarted]) await ok('rm', id);
    for (const id of [forced, orphan]) await ok('rm', '-f', id);
    // run --rm finishes its cleanup in the background: a cgroup or conmon may still be going.
    const rootsNow = await rootsOfDaemon(fixture.daemon);
    let after = await snapshotOwned(rootsNow, ids);
    const leaks = () => leakCount(diffOwned(before, after)) + after.cgroups.length;
    for (const end = Date.now() + 20_000; leaks() > 0 && Date.now() < end; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await snapshotOwned(rootsNow, ids);
    }
    assert.deepEqual(diffOwned(before, after), {});
    assert.deepEqual(after.cgroups, []);
    assert.deepEqual(await execRootLeftovers(fixture.daemon.execRoot, ids), []);
  });
});
