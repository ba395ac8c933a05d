import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();

/** The cgroup v1 (or v2) file of a container's init process for `controller`. */
async function cgroupFile(pid: number, controller: string, file: string): Promise<string> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
  const path = v1
    ? join('/sys/fs/cgroup', controller, v1.split(':')[2]!)
    : join('/sys/fs/cgroup', lines[0]!.split(':')[2]!);
  return (await readFile(join(path, file), 'utf8')).trim();
}

describe('pause, top, stats, rename, update, prune and ps filters with the real Docker CLI', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  const fixture = withBusyboxDaemon('berth-ops-');
  const run = fixture.run;
  const inspect = fixture.inspect;

  it('pause freezes and unpause thaws, with ps status and errors like dockerd', async () => {
    assert.equal((await run('run', '-d', '--name', 'frozen', 'busybox', 'sleep', '600')).code, 0);
    assert.equal((await run('pause', 'frozen')).code, 0);
    assert.equal(await inspect('{{.State.Status}} {{.State.Paused}}', 'frozen'), 'paused true');
    const pid = Number(await inspect('{{.State.Pid}}', 'frozen'));
    assert.equal(await cgroupFile(pid, 'freezer', 'freezer.state').catch(() => 'FROZEN'), 'FROZEN');
    assert.match(
      (await run('ps', '--format', '{{.Status}}', '--filter', 'name=frozen')).stdout,
      /\(Paused\)/,
    );
    const again = await run('pause', 'frozen');
    assert.match(again.stderr, /Container [0-9a-f]{64} is already paused/);
    assert.equal((await run('unpause', 'frozen')).code, 0);
    assert.equal(await inspect('{{.State.Status}}', 'frozen'), 'running');
    const notPaused = await run('unpause', 'frozen');
    assert.match(notPaused.stderr, /Container [0-9a-f]{64} is not paused/);
    await run('pause', 'frozen');
    assert.equal((await run('stop', '-t', '1', 'frozen')).code, 0, 'a paused container can be stopped');
    assert.equal(await inspect('{{.State.Status}}', 'frozen'), 'exited');
  });

  it('restart keeps a --rm container, which its next exit removes (as dockerd)', async () => {
    const started = await run(
      'run',
      '-d',
      '--rm',
      '--name',
      'rm-restart',
      'busybox',
      'sh',
      '-c',
      'echo up; sleep 600',
    );
    assert.equal(started.code, 0, started.stderr);
    // Its layer is written to, then read again after the restart: the volatile mount comes back.
    assert.equal((await run('exec', 'rm-restart', 'sh', '-c', 'echo kept > /state')).code, 0);
    const restarted = await run('restart', '-t', '1', 'rm-restart');
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(await inspect('{{.State.Status}} {{.HostConfig.AutoRemove}}', 'rm-restart'), 'running true');
    assert.equal((await run('exec', 'rm-restart', 'cat', '/state')).stdout, 'kept\n');
    assert.equal((await run('logs', 'rm-restart')).stdout, 'up\nup\n');
    assert.equal((await run('stop', '-t', '1', 'rm-restart')).code, 0);
    // The removal follows the exit.
    let inspected = await run('inspect', 'rm-restart');
    for (let i = 0; i < 50 && inspected.code === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      inspected = await run('inspect', 'rm-restart');
    }
    assert.match(inspected.stderr, /No such object: rm-restart/);
  });

  it('the relay socket that launched processes connect back to is root-only and wants a token', async () => {
    assert.equal((await run('run', '--rm', 'busybox', 'echo', 'relayed')).stdout, 'relayed\n');
    const path = join(fixture.daemon.execRoot, 'relays.sock');
    const mode = await runCommand('stat', ['-c', '%a %U', path]);
    assert.equal(mode.stdout.trim(), '600 root');
    // A connection with a wrong token is closed without a word; the daemon goes on.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(path, () => socket.write(`${'0'.repeat(32)}\n0 /\n`));
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    assert.equal(answer, '');
    assert.equal((await run('run', '--rm', 'busybox', 'echo', 'still')).stdout, 'still\n');
  });

  it('top lists the container processes with ps columns', async () => {
    assert.equal(
      (await run('run', '-d', '--name', 'tops', 'busybox', 'sh', '-c', 'sleep 600 & exec sleep 601')).code,
      0,
    );
    // The shell forks and execs a moment after the start: ask until both sleeps are there.
    const commands = (out: string) =>
      out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).slice(7).join(' '))
        .sort();
    let top = await run('top', 'tops');
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; top = await run('top', 'tops')) {
      if (commands(top.stdout).join() === 'sleep 600,sleep 601') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout.split('\n')[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.deepEqual(commands(top.stdout), ['sleep 600', 'sleep 601']);
    const aux = await run('top', 'tops', 'aux');
    assert.match(aux.stdout.split('\n')[0]!, /^USER\s+PID\s+%CPU/);
    const stopped = await run('top', 'no-such');
    assert.match(stopped.stderr, /No such container: no-such/);
  });

  it('stats --no-stream shows real cpu, memory and pids numbers', async () => {
    assert.equal(
      (await run('run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'while :; do :; done')).code,
      0,
    );
    const stats = await run(
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}',
      'busy',
    );
    assert.equal(stats.code, 0, stats.stderr);
    const [name, cpu, mem, pids] = stats.stdout.trim().split('|');
    assert.equal(name, 'busy');
    assert.ok(Number.parseFloat(cpu!) > 1, `a spinning shell uses CPU: ${cpu}`);
    assert.match(mem!, /^\d+(\.\d+)?[KM]iB \/ \d/);
    assert.equal(pids, '1');
    const raw = JSON.parse(
      (
        await runCommand('curl', [
          '-s',
          '--unix-socket',
          fixture.daemon.socket,
          'http://x/containers/busy/stats?stream=false',
        ])
      ).stdout,
    ) as {
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
      precpu_stats: { cpu_usage: { total_usage: number } };
      memory_stats: { usage: number; limit: number };
      pids_stats: { current: number };
    };
    assert.ok(raw.cpu_stats.cpu_usage.total_usage > raw.precpu_stats.cpu_usage.total_usage);
    assert.ok(raw.cpu_stats.system_cpu_usage > 0);
    assert.ok(raw.memory_stats.usage > 0 && raw.memory_stats.limit > 0);
    assert.equal(raw.pids_stats.current, 1);
    await run('rm', '-f', 'busy');
  });

  it('commit pauses a running container while it reads the changes, then it runs on', async () => {
    const script = 'i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.05; done';
    assert.equal((await run('run', '-d', '--name', 'committed', 'busybox', 'sh', '-c', script)).code, 0);
    const id = await inspect('{{.Id}}', 'committed');
    const since = String(Date.now() / 1000);
    const paused = await run('commit', 'committed', `committed-img-${process.pid}:paused`);
    assert.equal(paused.code, 0, paused.stderr);
    const unpaused = await run('commit', '--pause=false', 'committed', `committed-img-${process.pid}:live`);
    assert.equal(unpaused.code, 0, unpaused.stderr);
    const events = await run(
      'events',
      '--since',
      since,
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      `container=${id}`,
      '--format',
      '{{.Action}} {{.Actor.Attributes.imageRef}}',
    );
    assert.equal(
      events.stdout,
      `pause <no value>\ncommit committed-img-${process.pid}:paused\nunpause <no value>\ncommit committed-img-${process.pid}:live\n`,
    );
    assert.equal(await inspect('{{.State.Status}}', 'committed'), 'running');
    const count = async () => Number((await run('exec', 'committed', 'cat', '/count')).stdout);
    const before = await count();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok((await count()) > before, 'the container goes on after the commit');
    const image = await run('run', '--rm', `committed-img-${process.pid}:paused`, 'cat', '/count');
    assert.match(image.stdout, /^\d+\n$/);
    // One the user paused stays paused.
    assert.equal((await run('pause', 'committed')).code, 0);
    assert.equal((await run('commit', 'committed')).code, 0);
    assert.equal(await inspect('{{.State.Status}}', 'committed'), 'paused');
    await run('rm', '-f', 'committed');
    await run('rmi', `committed-img-${process.pid}:paused`, `committed-img-${process.pid}:live`);
  });

  it("inspect's GraphDriver shows overlay2's directories: a file written inside is in UpperDir and MergedDir", async () => {
    assert.equal((await run('run', '-d', '--name', 'layered', 'busybox', 'sleep', '300')).code, 0);
    try {
      assert.equal((await run('exec', 'layered', 'sh', '-c', 'echo inside > /marker')).code, 0);
      assert.equal(await inspect('{{.GraphDriver.Name}}', 'layered'), 'overlay2');
      const data = JSON.parse(await inspect('{{json .GraphDriver.Data}}', 'layered')) as Record<
        string,
        string
      >;
      assert.deepEqual(Object.keys(data), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
      assert.equal(await readFile(join(data['UpperDir']!, 'marker'), 'utf8'), 'inside\n');
      assert.equal(await readFile(join(data['MergedDir']!, 'marker'), 'utf8'), 'inside\n');
      // The image's layers are below: busybox's one layer holds its binary.
      const lowers = data['LowerDir']!.split(':');
      assert.ok(
        lowers.some((dir) => existsSync(join(dir, 'bin', 'busybox'))),
        data['LowerDir'],
      );
    } finally {
      await run('rm', '-f', 'layered');
    }
  });

  it('rm -f as the container ends on its own: the removal waits for the exit, nothing is torn down twice', async () => {
    const before = fixture.daemon.output().length;
    for (let i = 0; i < 20; i++) {
      const name = `racing-${i}`;
      assert.equal((await run('run', '-d', '--name', name, 'busybox', 'usleep', '150000')).code, 0);
      const removed = await run('rm', '-f', name);
      assert.equal(removed.code, 0, removed.stderr);
    }
    const said = fixture.daemon.output().slice(before);
    assert.doesNotMatch(said, /could not (record a container exit|release container networking|disconnect)/);
  });

  it('rename moves the name, refuses a taken one, and is an event', async () => {
    assert.equal((await run('create', '--name', 'old-name', 'busybox', 'true')).code, 0);
    assert.equal((await run('create', '--name', 'taken', 'busybox', 'true')).code, 0);
    assert.equal((await run('rename', 'old-name', 'new-name')).code, 0);
    assert.equal(await inspect('{{.Name}}', 'new-name'), '/new-name');
    assert.notEqual((await run('inspect', 'old-name')).code, 0);
    const clash = await run('rename', 'new-name', 'taken');
    assert.match(clash.stderr, /The container name "\/taken" is already in use/);
    const same = await run('rename', 'new-name', 'new-name');
    assert.match(same.stderr, /Renaming a container with the same name as its current name/);
    const events = await run(
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'event=rename',
      '--format',
      '{{.Actor.Attributes.name}} {{.Actor.Attributes.oldName}}',
    );
    assert.equal(events.stdout, 'new-name /old-name\n');
  });

  it('update changes the cgroup limits of a running container and the restart policy', async () => {
    assert.equal((await run('run', '-d', '--name', 'limits', 'busybox', 'sleep', '600')).code, 0);
    const r = await run(
      'update',
      '--memory',
      '64m',
      '--memory-swap',
      '128m',
      '--pids-limit',
      '40',
      '--cpu-shares',
      '512',
      '--restart',
      'on-failure:2',
      'limits',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await inspect(
        '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}',
        'limits',
      ),
      '67108864 40 512 on-failure:2',
    );
    const pid = Number(await inspect('{{.State.Pid}}', 'limits'));
    const v2 = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n').length === 1;
    assert.equal(await cgroupFile(pid, 'memory', v2 ? 'memory.max' : 'memory.limit_in_bytes'), '67108864');
    assert.equal(await cgroupFile(pid, 'pids', 'pids.max'), '40');
    const stats = await run('stats', '--no-stream', '--format', '{{.MemUsage}}', 'limits');
    assert.match(stats.stdout, /\/ 64MiB/);
    const tooSmall = await run('update', '--memory', '1m', 'limits');
    assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
  });

  it('ps filters (exited, ancestor, before, since, status) and prune with label filters', async () => {
    assert.equal((await run('run', '--name', 'ok0', 'busybox', 'true')).code, 0);
    assert.equal(
      (await run('run', '--name', 'bad3', '--label', 'keep=yes', 'busybox', 'sh', '-c', 'exit 3')).code,
      3,
    );
    const names = async (...filters: string[]) =>
      (await run('ps', '-a', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Names}}')).stdout
        .trim()
        .split('\n')
        .filter(Boolean);
    assert.deepEqual(await names('exited=3'), ['bad3']);
    assert.deepEqual(await names('exited=0', 'name=ok0'), ['ok0']);
    assert.deepEqual(await names('since=ok0'), ['bad3']);
    assert.ok((await names('before=bad3')).includes('ok0'));
    assert.ok(!(await names('before=bad3')).includes('bad3'));
    assert.ok((await names('ancestor=busybox')).includes('ok0'));
    assert.deepEqual(await names('ancestor=busybox', 'status=exited', 'label=keep=yes'), ['bad3']);
    // A limit implies --all, as in dockerd: `ps -l` and `ps -n 1` show the newest, stopped or not.
    assert.equal((await run('ps', '-l', '--format', '{{.Names}}')).stdout, 'bad3\n');
    assert.equal((await run('ps', '-n', '1', '--format', '{{.Names}}')).stdout, 'bad3\n');
    // Sizes count what the container wrote, not the runtime's empty mount points (/proc, /etc/hosts…).
    const size = async (name: string) =>
      (await run('ps', '-a', '-s', '--filter', `name=^${name}$`, '--format', '{{.Size}}')).stdout;
    assert.match(await size('ok0'), /^0B \(virtual [0-9.]+MB\)\n$/);
    assert.equal(
      (await run('run', '--name', 'wrote5k', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero >/5k')).code,
      0,
    );
    assert.match(await size('wrote5k'), /^5kB \(virtual [0-9.]+MB\)\n$/);
    const bad = await run('ps', '--filter', 'status=sleepy');
    assert.match(bad.stderr, /invalid filter 'status=sleepy'/);
    const prune = await run('container', 'prune', '-f', '--filter', 'label!=keep');
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /Deleted Containers:/);
    assert.match(prune.stdout, /Total reclaimed space:/);
    const left = await names();
    assert.ok(left.includes('bad3'), 'the labelled one stays');
    assert.ok(!left.includes('ok0'));
    assert.ok(left.includes('limits'), 'running containers stay');
  });
});
