import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { waitExit } from '../testing/daemon.js';
import { bin, dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();

describe('containers with the real Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-containers-');
  const run = fixture.run;

  it('docker run --rm busybox echo hi prints hi and exits 0', async () => {
    const r = await run('run', '--rm', 'busybox', 'echo', 'hi');
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 0);
  });

  it("the container's exit code is docker run's", async () => {
    const r = await run('run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('the process is PID 1 and the hostname is the one asked for', async () => {
    const r = await run(
      'run',
      '--rm',
      '--hostname',
      'berth-test',
      'busybox',
      'sh',
      '-c',
      'echo $$; hostname',
    );
    assert.equal(r.stdout, '1\nberth-test\n', r.stderr);
  });

  it('run -d, logs, ps, stop, ps -a and rm behave like docker', async () => {
    const started = await run(
      'run',
      '-d',
      '--name',
      'bg1',
      'busybox',
      'sh',
      '-c',
      'echo ready; exec sleep 300',
    );
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^[0-9a-f]{64}\n$/);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('ready'); i++) logs = (await run('logs', 'bg1')).stdout;
    assert.equal(logs, 'ready\n');
    const ps = await run('ps', '--format', '{{.Names}} {{.Status}}');
    assert.match(ps.stdout, /^bg1 Up /m);
    const stop = await run('stop', '-t', '1', 'bg1');
    assert.equal(stop.code, 0, stop.stderr);
    const inspect = await run('inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'bg1');
    assert.equal(
      inspect.stdout,
      'exited 137\n',
      'sleep as PID 1 ignores SIGTERM, so the stop ends in SIGKILL',
    );
    const rmRunning = await run('rm', 'bg1');
    assert.equal(rmRunning.code, 0, rmRunning.stderr);
    const gone = await run('inspect', 'bg1');
    assert.notEqual(gone.code, 0);
  });

  it('berth run and berth ps work like the Docker CLI', async () => {
    const berth = (...args: string[]) =>
      runCommand(bin('berth'), ['-H', fixture.daemon.host, ...args], { timeoutMs: 60_000 });
    const hi = await berth('run', '--rm', 'busybox', 'sh', '-c', 'echo hi; echo oops >&2; exit 5');
    assert.deepEqual([hi.code, hi.stdout, hi.stderr], [5, 'hi\n', 'oops\n']);
    assert.equal((await berth('run', '-d', '--name', 'pslisted', 'busybox', 'sleep', '300')).code, 0);
    // Time columns ("1 second ago") may tick between the two calls: compare the rest of the table.
    const table = ['--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}\t{{.Names}}'];
    const [b, d] = await Promise.all([berth('ps', ...table), run('ps', ...table)]);
    assert.equal(b.stdout, d.stdout);
    assert.match(b.stdout, /pslisted/);
    const missing = await berth('run', '--rm', 'no-such-image:1', 'true');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /Unable to find image 'no-such-image:1' locally/);
    await run('rm', '-f', 'pslisted');
  });

  it("create fills HostConfig's defaults as dockerd does, so inspect shows them", async () => {
    const shown = async (...flags: string[]) => {
      const name = `defaults-${flags.length}`;
      const made = await run('create', '--name', name, ...flags, 'busybox', 'true');
      assert.equal(made.code, 0, made.stderr);
      const json = (await run('inspect', '-f', '{{json .HostConfig}}', name)).stdout;
      await run('rm', name);
      return JSON.parse(json) as Record<string, unknown>;
    };
    const plain = await shown();
    const v2 = (await readFile('/proc/self/cgroup', 'utf8')).trim().split('\n').length === 1;
    assert.deepEqual(
      [plain['ShmSize'], plain['IpcMode'], plain['CgroupnsMode'], plain['OomKillDisable']],
      [64 * 1024 * 1024, 'private', v2 ? 'private' : 'host', false],
    );
    assert.equal(plain['MemorySwappiness'], null, 'the CLI sends -1 for none');
    assert.equal(plain['PidsLimit'], null);
    assert.ok((plain['MaskedPaths'] as string[]).includes('/proc/kcore'));
    assert.ok((plain['ReadonlyPaths'] as string[]).includes('/proc/sys'));
    const limited = await shown('-m', '32m', '--security-opt', 'systempaths=unconfined');
    assert.equal(limited['MemorySwap'], 64 * 1024 * 1024, 'memory+swap twice the memory');
    assert.deepEqual([limited['MaskedPaths'], limited['ReadonlyPaths']], [[], []]);
    const privileged = await shown('--privileged', '--ipc', 'shareable', '--shm-size', '8m');
    assert.deepEqual(
      [privileged['MaskedPaths'], privileged['ReadonlyPaths'], privileged['IpcMode'], privileged['ShmSize']],
      [null, null, 'shareable', 8 * 1024 * 1024],
    );
  });

  it('rm of a running container needs --force; rmi of a used image is a 409', async () => {
    await run('run', '-d', '--name', 'busy', 'busybox', 'sleep', '300');
    const rmRunning = await run('rm', 'busy');
    assert.equal(rmRunning.code, 1);
    assert.match(
      rmRunning.stderr,
      /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/,
    );
    const rmi = await run('rmi', 'busybox');
    assert.match(
      rmi.stderr,
      /conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/,
    );
    assert.equal((await run('rm', '-f', 'busy')).code, 0);
  });

  it('containers keep running across a kill -9 of berthd and are adopted after restart', async () => {
    const started = await run(
      'run',
      '-d',
      '--name',
      'survivor',
      'busybox',
      'sh',
      '-c',
      'trap "exit 7" TERM; while true; do sleep 0.2; done',
    );
    assert.equal(started.code, 0, started.stderr);
    const pid = (await run('inspect', '--format', '{{.State.Pid}}', 'survivor')).stdout.trim();
    fixture.daemon.process.kill('SIGKILL');
    await waitExit(fixture.daemon.process);
    assert.ok(
      (await readFile(`/proc/${pid}/status`, 'utf8')).includes('State:'),
      'the container process lives on',
    );
    await fixture.startAgain();
    const ps = await run('ps', '--format', '{{.Names}} {{.Status}}');
    assert.match(ps.stdout, /^survivor Up /m);
    const stop = await run('stop', '-t', '5', 'survivor');
    assert.equal(stop.code, 0, stop.stderr);
    const code = await run('inspect', '--format', '{{.State.ExitCode}}', 'survivor');
    assert.equal(code.stdout, '7\n');
  });
});
