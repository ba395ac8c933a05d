import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

const docker = dockerCli();

/** Polls `probe` until it returns true or `ms` pass; the last value decides. */
async function eventually(probe: () => Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return true;
    await sleep(200);
  }
  return probe();
}

describe('restart policies and health checks with the real Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-policies-');
  const run = fixture.run;
  const inspect = fixture.inspect;

  it('on-failure:3 restarts a failing container three times, then leaves it exited', async () => {
    const started = await run(
      'run',
      '-d',
      '--name',
      'fails',
      '--restart',
      'on-failure:3',
      'busybox',
      'sh',
      '-c',
      'exit 1',
    );
    assert.equal(started.code, 0, started.stderr);
    assert.ok(
      await eventually(
        async () => (await inspect('{{.State.Status}} {{.RestartCount}}', 'fails')) === 'exited 3',
      ),
      await inspect('{{.State.Status}} {{.RestartCount}}', 'fails'),
    );
    await sleep(1000);
    assert.equal(
      await inspect('{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', 'fails'),
      'exited 3 1',
    );
    const events = await run(
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'container=fails',
      '--format',
      '{{.Action}}',
    );
    assert.equal(events.stdout.split('\n').filter((a) => a === 'start').length, 4, events.stdout);
    assert.equal(events.stdout.split('\n').filter((a) => a === 'die').length, 4, events.stdout);
  });

  it('a bad restart policy is refused with the reason', async () => {
    const r = await run('create', '--restart', 'always', '--rm', 'busybox', 'true');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /AutoRemove|auto-remove|--rm/i);
  });

  it('docker stop keeps an always container stopped; a daemon restart starts it again', async () => {
    assert.equal(
      (await run('run', '-d', '--name', 'keeps', '--restart', 'always', 'busybox', 'sleep', '600')).code,
      0,
    );
    assert.equal(
      (await run('run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '600'))
        .code,
      0,
    );
    assert.equal((await run('stop', '-t', '1', 'keeps')).code, 0);
    assert.equal((await run('stop', '-t', '1', 'unless')).code, 0);
    await sleep(1000);
    assert.equal(await inspect('{{.State.Status}}', 'keeps'), 'exited');
    assert.equal(await inspect('{{.State.Status}}', 'unless'), 'exited');
    await fixture.daemon.stop();
    await fixture.startAgain();
    assert.ok(await eventually(async () => (await inspect('{{.State.Status}}', 'keeps')) === 'running'));
    assert.equal(
      await inspect('{{.State.Status}}', 'unless'),
      'exited',
      'unless-stopped stays stopped after a stop',
    );
  });

  it('a daemon restart removes --rm containers it finds stopped, as dockerd does, and keeps the others', async () => {
    assert.equal((await run('create', '--rm', '--name', 'autorm', 'busybox', 'true')).code, 0);
    assert.equal((await run('create', '--name', 'kept', 'busybox', 'true')).code, 0);
    await fixture.daemon.stop();
    await fixture.startAgain();
    const names = (await run('ps', '-a', '--format', '{{.Names}}')).stdout.split('\n');
    assert.ok(!names.includes('autorm'), names.join(' '));
    assert.ok(names.includes('kept'), names.join(' '));
    assert.equal((await run('rm', 'kept')).code, 0);
  });

  it('an always container killed from outside comes back with RestartCount 1', async () => {
    assert.equal(
      (await run('run', '-d', '--name', 'comeback', '--restart', 'always', 'busybox', 'sleep', '600')).code,
      0,
    );
    const pid = Number(await inspect('{{.State.Pid}}', 'comeback'));
    process.kill(pid, 'SIGKILL');
    assert.ok(
      await eventually(
        async () => (await inspect('{{.State.Status}} {{.RestartCount}}', 'comeback')) === 'running 1',
      ),
    );
    assert.notEqual(Number(await inspect('{{.State.Pid}}', 'comeback')), pid);
  });

  it('docker kill stops an always container for good', async () => {
    assert.equal(
      (await run('run', '-d', '--name', 'killed', '--restart', 'always', 'busybox', 'sleep', '600')).code,
      0,
    );
    assert.equal((await run('kill', 'killed')).code, 0);
    assert.ok(
      await eventually(async () => (await inspect('{{.State.Status}}', 'killed')) === 'exited'),
      await inspect('{{.State.Status}}', 'killed'),
    );
    // Long enough for a restart that should not happen to show.
    await sleep(1500);
    assert.equal(await inspect('{{.State.Status}} {{.RestartCount}}', 'killed'), 'exited 0');
  });

  it('health checks make containers healthy or unhealthy, with ps, inspect and events showing it', async () => {
    assert.equal(
      (
        await run(
          'run',
          '-d',
          '--name',
          'fine',
          '--health-cmd',
          'true',
          '--health-interval',
          '1s',
          'busybox',
          'sleep',
          '600',
        )
      ).code,
      0,
    );
    assert.equal(
      (
        await run(
          'run',
          '-d',
          '--name',
          'sick',
          '--health-cmd',
          'echo nope; exit 1',
          '--health-interval',
          '1s',
          '--health-retries',
          '2',
          'busybox',
          'sleep',
          '600',
        )
      ).code,
      0,
    );
    assert.equal(
      (
        await run(
          'run',
          '-d',
          '--name',
          'slow',
          '--health-cmd',
          'sleep 5',
          '--health-interval',
          '1s',
          '--health-timeout',
          '500ms',
          '--health-retries',
          '1',
          'busybox',
          'sleep',
          '600',
        )
      ).code,
      0,
    );
    const status = async (name: string) =>
      (await run('ps', '--filter', `name=${name}`, '--format', '{{.Status}}')).stdout;
    assert.match(await status('fine'), /health: starting|healthy/);
    assert.ok(await eventually(async () => /\(healthy\)/.test(await status('fine'))), await status('fine'));
    assert.ok(await eventually(async () => /\(unhealthy\)/.test(await status('sick'))), await status('sick'));
    assert.ok(await eventually(async () => /\(unhealthy\)/.test(await status('slow'))), await status('slow'));
    const sick = JSON.parse(await inspect('{{json .State.Health}}', 'sick')) as {
      Status: string;
      FailingStreak: number;
      Log: { ExitCode: number; Output: string }[];
    };
    assert.equal(sick.Status, 'unhealthy');
    assert.ok(sick.FailingStreak >= 2);
    assert.deepEqual(sick.Log[0], { ...sick.Log[0], ExitCode: 1, Output: 'nope\n' });
    const slow = JSON.parse(await inspect('{{json .State.Health}}', 'slow')) as {
      Log: { ExitCode: number; Output: string }[];
    };
    assert.deepEqual(slow.Log[0], {
      ...slow.Log[0],
      ExitCode: -1,
      Output: 'Health check exceeded timeout (500ms)',
    });
    const healthy = await run('ps', '--filter', 'health=healthy', '--format', '{{.Names}}');
    assert.equal(healthy.stdout, 'fine\n');
    const events = await run(
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'event=health_status',
      '--format',
      '{{.Actor.Attributes.name}} {{.Action}}',
    );
    assert.match(events.stdout, /^fine health_status: healthy$/m);
    assert.match(events.stdout, /^sick health_status: unhealthy$/m);
    const probes = await run(
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'container=fine',
      '--format',
      '{{.Action}}',
    );
    assert.match(probes.stdout, /^exec_start: \/bin\/sh -c true$/m, 'each probe is an exec, with its events');
    assert.match(probes.stdout, /^exec_die$/m);
    assert.equal((await run('stop', '-t', '1', 'fine')).code, 0);
    assert.equal(
      await inspect('{{.State.Health.Status}}', 'fine'),
      'unhealthy',
      'a stopped container is unhealthy, as with dockerd',
    );
    const none = await run('run', '-d', '--name', 'nocheck', '--no-healthcheck', 'busybox', 'sleep', '600');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(await inspect('{{.State.Health}}', 'nocheck'), '<nil>');
  });
});
