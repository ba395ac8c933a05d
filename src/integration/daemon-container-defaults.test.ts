import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { busyboxArchive, dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();

/** A seccomp profile that allows everything but mkdir, so its use shows from inside. */
const NO_MKDIR = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
};

describe("daemon.json's container defaults reach every container, as dockerd's do", {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  let dir: string;
  let daemon: TestDaemon;
  const parent = `berth-test-defaults-${process.pid}`;
  const cli = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 60_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-defaults-'));
    const profile = join(dir, 'no-mkdir.json');
    await writeFile(profile, JSON.stringify(NO_MKDIR));
    daemon = await startDaemon({
      config: {
        'default-shm-size': '16M',
        'default-ulimits': { nofile: { Name: 'nofile', Soft: 123, Hard: 456 } },
        'no-new-privileges': true,
        init: true,
        'default-ipc-mode': 'shareable',
        'cgroup-parent': `/${parent}`,
        'default-cgroupns-mode': 'private',
        'seccomp-profile': profile,
      },
    });
    const loaded = await cli('load', '-i', busyboxArchive);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (daemon) await daemon.stop();
    for (const controller of await readdir('/sys/fs/cgroup').catch(() => [])) {
      await rmdir(join('/sys/fs/cgroup', controller, parent)).catch(() => {});
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shm size, ulimits, no-new-privileges, init, IPC and cgroup modes, cgroup parent and seccomp profile', async () => {
    const script = [
      'df -k /dev/shm | tail -1',
      'ulimit -n; ulimit -Hn',
      'grep NoNewPrivs /proc/self/status',
      'ps -o pid,comm | grep " 1 "',
      'cat /proc/self/cgroup | head -1',
      'mkdir /berth 2>&1; echo mkdir=$?',
      'sleep 30',
    ].join('; ');
    const started = await cli('run', '-d', '--name', 'defaults', 'busybox', 'sh', '-c', script);
    assert.equal(started.code, 0, started.stderr);
    let out = '';
    for (let i = 0; i < 50 && !out.includes('mkdir='); i++) {
      out = (await cli('logs', 'defaults')).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /^shm\s+16384\s/m);
    assert.match(out, /^123\n456$/m);
    assert.match(out, /^NoNewPrivs:\s+1$/m);
    assert.match(out, /^\s+1 docker-init$/m);
    assert.match(out, /^\d+:[^:]*:\/$/m, 'a cgroup namespace of its own');
    assert.match(out, /Operation not permitted\nmkdir=1$/m);
    const inspect = await cli(
      'inspect',
      '-f',
      '{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{.State.Pid}}',
      'defaults',
    );
    const [shm, ipc, cgroupns, pid] = inspect.stdout.trim().split(' ');
    assert.deepEqual([shm, ipc, cgroupns], [String(16 * 1024 * 1024), 'shareable', 'private']);
    const hostView = await readFile(`/proc/${pid}/cgroup`, 'utf8');
    assert.match(hostView, new RegExp(`:memory:/${parent}/[0-9a-f]{64}$`, 'm'));
    // A container's own settings win over the daemon's.
    const own = await cli(
      'run',
      '--rm',
      '--init=false',
      '--ulimit',
      'nofile=77:88',
      '--shm-size',
      '8m',
      '--security-opt',
      'seccomp=unconfined',
      'busybox',
      'sh',
      '-c',
      'ulimit -n; df -k /dev/shm | tail -1; mkdir /berth && echo made; ps -o pid,comm | grep " 1 "',
    );
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^77\nshm\s+8192\s.*\nmade\n\s+1 sh$/m);
    await cli('rm', '-f', 'defaults');
  });
});
