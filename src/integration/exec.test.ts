import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { RESIZE_THEN_SIZE, runOnPty } from '../testing/pty.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

describe('docker exec against berthd', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  let dir: string;
  let daemon: TestDaemon;
  let name: string;
  const run = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 60_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-exec-'));
    daemon = await startDaemon({ dir, config: {} });
    assert.equal((await run('load', '-i', busybox)).code, 0);
    name = `exec-${process.pid}`;
    const started = await run('run', '-d', '--name', name, 'busybox', 'sleep', '300');
    assert.equal(started.code, 0, started.stderr);
  });
  after(async () => {
    if (daemon) {
      await run('rm', '-f', name);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs beside PID 1 and passes the exit code through', async () => {
    const ps = await run('exec', name, 'ps');
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s+1 root\s+sleep 300$/m);
    assert.equal((await run('exec', name, 'sh', '-c', 'exit 5')).code, 5);
    const split = await run('exec', name, 'sh', '-c', 'echo out; echo err >&2');
    assert.deepEqual([split.stdout, split.stderr], ['out\n', 'err\n']);
    // Finished sessions leave nothing in the container's bundle.
    const id = (await run('inspect', '-f', '{{.Id}}', name)).stdout.trim();
    const left = await readdir(join(daemon.execRoot, 'containers', id, 'exec')).catch(() => []);
    assert.deepEqual(left, []);
  });

  it('a missing binary exits 126 with the runtime message, as with dockerd', async () => {
    const r = await run('exec', name, 'nosuchbin');
    assert.equal(r.code, 126);
    assert.match(
      r.stdout,
      /OCI runtime exec failed: .*"nosuchbin": executable file not found in \$PATH: unknown/,
    );
  });

  it('env, user, workdir and stdin reach the process', async () => {
    const r = await runCommand(
      docker!,
      [
        '-H',
        daemon.host,
        'exec',
        '-i',
        '-e',
        'A=b',
        '-u',
        'nobody',
        '-w',
        '/tmp',
        name,
        'sh',
        '-c',
        'echo $A $(id -un) $PWD; cat',
      ],
      { input: 'from stdin\n' },
    );
    assert.equal(r.stdout, 'b nobody /tmp\nfrom stdin\n', r.stderr);
  });

  it('-u names are looked up in the container: a passwd link to an absolute path stays inside', async () => {
    // The same absolute path holds a different passwd on the host: it must not be the one read.
    const c = `exec-users-${process.pid}`;
    const started = await run('run', '-d', '--name', c, 'busybox', 'sleep', '300');
    assert.equal(started.code, 0, started.stderr);
    try {
      await writeFile(join(dir, 'passwd'), `hostonly:x:4242:4242::/:/bin/sh\n`);
      const setup = [
        `mkdir -p ${dir}`,
        `echo 'inside:x:777:778::/tmp:/bin/sh' > ${dir}/passwd`,
        `echo 'insiders:x:778:' > ${dir}/group`,
        `ln -sf ${dir}/passwd /etc/passwd`,
        `ln -sf ${dir}/group /etc/group`,
      ].join(' && ');
      assert.equal((await run('exec', c, 'sh', '-c', setup)).code, 0);
      const inside = await run('exec', '-u', 'inside', c, 'id');
      assert.equal(inside.stdout, 'uid=777(inside) gid=778(insiders) groups=778(insiders)\n', inside.stderr);
      const host = await run('exec', '-u', 'hostonly', c, 'id');
      assert.notEqual(host.code, 0);
      assert.match(
        `${host.stdout}${host.stderr}`,
        /unable to find user hostonly: no matching entries in passwd file/,
      );
    } finally {
      await run('rm', '-f', c);
    }
  });

  it('exec -d runs in the background; inspect and events show the exec in Docker’s shape', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    // Long enough to be still running when ps looks (rm -f ends it with the container).
    assert.equal((await run('exec', '-d', name, 'sleep', '30')).code, 0);
    const ps = await run('exec', name, 'ps');
    assert.match(ps.stdout, /sleep 30$/m);
    const curl = (...args: string[]) =>
      runCommand('curl', ['-s', '--unix-socket', daemon.socket, ...args]).then((r) => JSON.parse(r.stdout));
    const created = await curl(
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"Cmd":["true"],"User":"nobody"}',
      `http://d/containers/${name}/exec`,
    );
    const inspected = await curl(`http://d/exec/${created.Id}/json`);
    assert.equal(inspected.ID, created.Id);
    assert.equal(inspected.Running, false);
    assert.equal(inspected.ExitCode, null);
    assert.deepEqual(inspected.ProcessConfig, {
      tty: false,
      entrypoint: 'true',
      arguments: [],
      privileged: false,
      user: 'nobody',
    });
    const events = await run(
      'events',
      '--since',
      since,
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--format',
      '{{.Action}} {{.Actor.Attributes.exitCode}}',
    );
    assert.match(events.stdout, /^exec_create: true /m);
    assert.match(events.stdout, /^exec_start: sleep 30 /m);
    // The ps exec's: recorded before its stream ended.
    assert.match(events.stdout, /^exec_die 0$/m);
  });

  it('errors are dockerd’s: a stopped container is a 409, an unknown exec a 404', async () => {
    const stopped = `exec-stopped-${process.pid}`;
    assert.equal((await run('create', '--name', stopped, 'busybox', 'true')).code, 0);
    try {
      const r = await run('exec', stopped, 'true');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Error response from daemon: Container [0-9a-f]{64} is not running/);
    } finally {
      await run('rm', '-f', stopped);
    }
    const missing = await runCommand('curl', [
      '-s',
      '--unix-socket',
      daemon.socket,
      'http://d/exec/nope/json',
    ]);
    assert.equal(missing.stdout.trim(), '{"message":"No such exec instance: nope"}');
  });

  it('exec -it gets a terminal that follows resizes', async () => {
    const r = await runOnPty(
      [docker!, '-H', daemon.host, 'exec', '-it', name, 'sh'],
      ['<wait:# >', 'tty; stty size\r', '<wait:30 100\r\n>', ...RESIZE_THEN_SIZE, 'exit 3\r'],
    );
    assert.equal(r.code, 3, r.output);
    assert.match(r.output, /\/dev\/pts\/\d+\r\n30 100\r\n/);
    assert.match(r.output, /40 120\r\n/);
  });

  it('run -it gives a shell on a TTY that follows resizes', async () => {
    const r = await runOnPty(
      [docker!, '-H', daemon.host, 'run', '-it', '--rm', 'busybox', 'sh'],
      ['<wait:# >', 'tty; stty size\r', '<wait:30 100\r\n>', ...RESIZE_THEN_SIZE, 'exit 4\r'],
    );
    assert.equal(r.code, 4, r.output);
    assert.match(r.output, /\/dev\/pts\/\d+\r\n30 100\r\n/);
    assert.match(r.output, /40 120\r\n/);
  });

  it('ctrl-p ctrl-q detaches from run -it, docker attach comes back, custom detach keys work', async () => {
    const tty = `tty-${process.pid}`;
    try {
      const detached = await runOnPty(
        [docker!, '-H', daemon.host, 'run', '-it', '--name', tty, 'busybox', 'sh'],
        ['<wait:# >', 'echo first\r', '<wait:first\r\n>', '\x10\x11'],
      );
      assert.equal(detached.code, 0, detached.output);
      const running = await run('inspect', '-f', '{{.State.Running}}', tty);
      assert.equal(running.stdout, 'true\n');
      const again = await runOnPty(
        [docker!, '-H', daemon.host, 'attach', '--detach-keys', 'ctrl-x', tty],
        ['echo second\r', '<wait:second\r\n>', '\x18'],
      );
      // docker attach (the CLI itself) reports a detach as an error and exits 1.
      assert.equal(again.code, 1, again.output);
      assert.match(again.output, /second\r\n[\s\S]*read escape sequence/);
      const last = await runOnPty([docker!, '-H', daemon.host, 'attach', tty], ['exit 6\r']);
      assert.equal(last.code, 6, last.output);
      const code = await run('inspect', '-f', '{{.State.ExitCode}}', tty);
      assert.equal(code.stdout, '6\n');
    } finally {
      await run('rm', '-f', tty);
    }
  });
});
