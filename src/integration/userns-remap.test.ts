import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// daemon.json userns-remap, checked as a user would: from inside the container (who am I,
// what can I write) and from the host (who the process and its files really are).

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');
const isRoot = process.getuid?.() === 0;

describe('userns-remap', {
  skip:
    fixturesMissing ||
    (!docker ? 'no docker CLI on this machine' : !isRoot ? 'needs root (useradd, runc)' : false),
}, () => {
  // A user of this suite's own, with a range far from anyone else's.
  const user = `berthus${randomBytes(4).toString('hex')}`;
  const first = 3_000_000_000 + randomInt(0, 10_000) * 65536;
  const range = `${first}-${first + 65535}`;
  let dir: string;
  let daemon: TestDaemon | undefined;
  let userMade = false;
  const run = (...args: string[]) =>
    runCommand(docker!, ['-H', daemon!.host, ...args], { timeoutMs: 60_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-userns-'));
    // The remapped root must pass through every directory above the data and exec roots.
    await chmod(dir, 0o711);
    await mkdir(join(dir, 'daemon'), { mode: 0o711 });
    const added = await runCommand('useradd', ['-r', '-U', '-M', '-s', '/bin/false', user]);
    assert.equal(added.code, 0, added.stderr);
    userMade = true;
    const ranged = await runCommand('usermod', ['--add-subuids', range, '--add-subgids', range, user]);
    assert.equal(ranged.code, 0, ranged.stderr);
    daemon = await startDaemon({ dir: join(dir, 'daemon'), config: { 'userns-remap': user } });
    const loaded = await run('load', '-i', busybox);
    assert.equal(loaded.code, 0, loaded.stderr);
  });

  after(async () => {
    if (daemon) {
      const all = await run('ps', '-aq');
      for (const id of all.stdout.split('\n').filter(Boolean)) await run('rm', '-f', id);
      await run('volume', 'prune', '-af');
      await daemon.stop();
    }
    if (userMade) {
      await runCommand('usermod', ['--del-subuids', range, '--del-subgids', range, user]);
      await runCommand('userdel', [user]);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs the container's root as root inside, able to write its own files", async () => {
    const result = await run(
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      'id -u; echo a > /root/a && echo b > /tmp/b && echo written',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '0\nwritten\n');
  });

  it('is an unprivileged host user seen from the host, also for docker exec', async () => {
    const started = await run(
      'run',
      '-d',
      '--name',
      'sleeper',
      '--ipc',
      'shareable',
      'busybox',
      'sleep',
      '300',
    );
    assert.equal(started.code, 0, started.stderr);
    const pid = (await run('inspect', '-f', '{{.State.Pid}}', 'sleeper')).stdout.trim();
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\t${first}\\t${first}\\t${first}\\t${first}$`, 'm'));
    assert.match(status, new RegExp(`^Gid:\\t${first}\\t${first}\\t${first}\\t${first}$`, 'm'));
    const exec = await run('exec', 'sleeper', 'sh', '-c', 'id -u; cat /proc/self/uid_map');
    assert.equal(exec.code, 0, exec.stderr);
    assert.deepEqual(exec.stdout.split(/\s+/).filter(Boolean), ['0', '0', String(first), '65536']);
    // The network namespace belongs to the container: its /sys shows its own interfaces.
    const nets = await run('exec', 'sleeper', 'ls', '/sys/class/net');
    assert.deepEqual(nets.stdout.split(/\s+/).filter(Boolean).sort(), ['eth0', 'lo']);
  });

  it("joins another container's namespaces through its user namespace, docker exec included", async () => {
    for (const [name, flags] of [
      ['joins-pid', ['--pid', 'container:sleeper', '--ipc', 'container:sleeper']],
      ['joins-net', ['--net', 'container:sleeper']],
    ] as const) {
      const started = await run('run', '-d', '--name', name, ...flags, 'busybox', 'sleep', '300');
      assert.equal(started.code, 0, started.stderr);
      const exec = await run('exec', name, 'sh', '-c', 'id -u; readlink /proc/1/ns/user');
      assert.equal(exec.code, 0, exec.stderr);
      const sleeperPid = (await run('inspect', '-f', '{{.State.Pid}}', 'sleeper')).stdout.trim();
      const ownPid = (await run('inspect', '-f', '{{.State.Pid}}', name)).stdout.trim();
      assert.equal(exec.stdout.split('\n')[0], '0');
      // Both containers are in one user namespace.
      assert.equal(await readlink(`/proc/${ownPid}/ns/user`), await readlink(`/proc/${sleeperPid}/ns/user`));
    }
    const ps = await run('exec', 'joins-pid', 'ps', '-o', 'args');
    assert.match(ps.stdout, /sleep 300/);
  });

  it('starts with --ipc host (no mqueue of its own) and with --net none', async () => {
    const ipc = await run(
      'run',
      '--rm',
      '--ipc',
      'host',
      'busybox',
      'sh',
      '-c',
      'id -u; touch /dev/shm/x && echo ok',
    );
    assert.equal(ipc.code, 0, ipc.stderr);
    assert.equal(ipc.stdout, '0\nok\n');
    const none = await run('run', '--rm', '--net', 'none', 'busybox', 'ls', '/sys/class/net');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'lo\n');
  });

  it('docker cp writes container owners as remapped host IDs and reads them back', async () => {
    const local = join(dir, 'copied.txt');
    await writeFile(local, 'from the host\n');
    const copyIn = await run('cp', local, 'sleeper:/root/copied.txt');
    assert.equal(copyIn.code, 0, copyIn.stderr);
    const inside = await run(
      'exec',
      'sleeper',
      'sh',
      '-c',
      'stat -c %u:%g /root/copied.txt; echo more >> /root/copied.txt && echo appended',
    );
    assert.equal(inside.stdout, '0:0\nappended\n', inside.stderr);
    const out = join(dir, 'out.tar');
    const copyOut = await runCommand('sh', [
      '-c',
      `${docker} -H ${daemon!.host} cp sleeper:/root/copied.txt - > ${out}`,
    ]);
    assert.equal(copyOut.code, 0, copyOut.stderr);
    const listing = await runCommand('tar', ['--numeric-owner', '-tvf', out]);
    assert.match(listing.stdout, /^-\S+ 0\/0 /);
  });

  it('creates files in binds and volumes owned by the remapped uid on the host', async () => {
    const shared = join(dir, 'shared');
    await mkdir(shared, { mode: 0o777 });
    await chmod(shared, 0o777);
    const result = await run(
      'run',
      '--rm',
      '-v',
      `${shared}:/bind`,
      '-v',
      'userns-vol:/vol',
      'busybox',
      'sh',
      '-c',
      'touch /bind/made /vol/made && ls -n /vol/made',
    );
    assert.equal(result.code, 0, result.stderr);
    // Inside, the volume file is root's.
    assert.match(result.stdout, /^-\S+\s+1 0\s+0\s/);
    const bound = await stat(join(shared, 'made'));
    assert.equal(bound.uid, first);
    assert.equal(bound.gid, first);
    const volume = await stat(
      join(daemon!.dataRoot, `${first}.${first}`, 'volumes', 'userns-vol', '_data', 'made'),
    );
    assert.equal(volume.uid, first);
    // A bind source that does not exist is made for the remapped root, as dockerd makes it.
    const made = join(dir, 'auto', 'made');
    const auto = await run('run', '--rm', '-v', `${made}:/m`, 'busybox', 'touch', '/m/x');
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal((await stat(join(dir, 'auto'))).uid, first);
    assert.equal((await stat(join(made, 'x'))).uid, first);
  });

  it("cannot do host root's things: a 0600 file of the real root stays closed", async () => {
    const shared = join(dir, 'secrets');
    await mkdir(shared, { mode: 0o755 });
    await writeFile(join(shared, 'secret'), 'host only\n', { mode: 0o600 });
    const denied = await run('run', '--rm', '-v', `${shared}:/s`, 'busybox', 'cat', '/s/secret');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr + denied.stdout, /Permission denied/);
    const chown = await run('run', '--rm', '-v', `${shared}:/s`, 'busybox', 'chown', '0:0', '/s');
    assert.notEqual(chown.code, 0);
  });

  it('gives the real root back with --userns=host', async () => {
    const shared = join(dir, 'secrets');
    const result = await run(
      'run',
      '--rm',
      '--userns=host',
      '-v',
      `${shared}:/s`,
      'busybox',
      'sh',
      '-c',
      'id -u; cat /s/secret; cat /proc/self/uid_map',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split(/\s+/).filter(Boolean), [
      '0',
      'host',
      'only',
      '0',
      '0',
      '4294967295',
    ]);
  });

  it("refuses --privileged, --net=host and --pid=host with dockerd's messages unless --userns=host", async () => {
    const privileged = await run('run', '--rm', '--privileged', 'busybox', 'true');
    assert.equal(privileged.code, 125);
    assert.match(
      privileged.stderr,
      /privileged mode is incompatible with user namespaces\. {2}You must run the container in the host namespace when running privileged mode/,
    );
    const net = await run('run', '--rm', '--net=host', 'busybox', 'true');
    assert.match(net.stderr, /cannot share the host's network namespace when user namespaces are enabled/);
    const pid = await run('run', '--rm', '--pid=host', 'busybox', 'true');
    assert.match(pid.stderr, /cannot share the host PID namespace when user namespaces are enabled/);
    const allowed = await run('run', '--rm', '--privileged', '--userns=host', 'busybox', 'id', '-u');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, '0\n');
  });

  it('commits layers with container owners, not host ones', async () => {
    const made = await run(
      'run',
      '--name',
      'maker',
      'busybox',
      'sh',
      '-c',
      'echo x > /made; chown 1:2 /made',
    );
    assert.equal(made.code, 0, made.stderr);
    const committed = await run('commit', 'maker', 'userns-committed');
    assert.equal(committed.code, 0, committed.stderr);
    const saved = join(dir, 'committed.tar');
    const save = await run('save', '-o', saved, 'userns-committed');
    assert.equal(save.code, 0, save.stderr);
    const owners = await runCommand('sh', [
      '-c',
      `cd ${dir} && mkdir x && tar -xf committed.tar -C x && for l in $(find x -name '*.tar' -o -path '*blobs/sha256/*' -type f); do tar -tvf "$l" 2>/dev/null | grep ' made$'; done`,
    ]);
    assert.match(owners.stdout, /^-\S+ 1\/2 /m);
    const seen = await run('run', '--rm', 'userns-committed', 'stat', '-c', '%u:%g', '/made');
    assert.equal(seen.stdout, '1:2\n');
  });

  it('reports userns in docker info and the remapped root dir', async () => {
    const info = await run('info', '--format', '{{json .SecurityOptions}} {{.DockerRootDir}}');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /"name=userns"/);
    assert.ok(info.stdout.trim().endsWith(`/${first}.${first}`), info.stdout);
  });

  it('refuses to start for a user without subordinate ranges, naming the file and the user', async () => {
    const failed = await startDaemon({ config: { 'userns-remap': 'nobody' }, expectExit: true });
    try {
      assert.notEqual(failed.process.exitCode, 0);
      assert.match(failed.output(), /no subordinate uid ranges found for user "nobody" in \/etc\/subuid/);
    } finally {
      await failed.stop();
    }
  });
});
