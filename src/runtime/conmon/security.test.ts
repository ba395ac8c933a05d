import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES, maskFromCapabilities } from '../../containers/spec/capabilities.js';
import { DEFAULT_MASKED_PATHS } from '../../containers/spec/paths.js';
import type { ContainerRequest } from '../../containers/spec/request.js';
import { runCommand } from '../../core/exec.js';
import { applyLayer } from '../../snapshots/apply.js';
import { imageFixturesDir } from '../../testing/paths.js';
import { eventually, logOutput } from '../testing/output.js';
import { newId, Testbed, testbedSkipReason } from '../testing/testbed.js';

const skip = await testbedSkipReason();

describe('conmon + runc: security defaults in a real container', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  const run = async (script: string, request: Partial<ContainerRequest> = {}) => {
    const { id, logPath } = await bed.create(['sh', '-c', script], request);
    await bed.runtime.start(id);
    const exit = await bed.runtime.wait(id);
    const output = await logOutput(logPath);
    await bed.runtime.delete(id);
    return { exitCode: exit.exitCode, ...output };
  };
  const capEff = (stdout: string) => /CapEff:\s*([0-9a-f]+)/.exec(stdout)?.[1];

  it("PID 1 holds exactly Docker's 14 default capabilities", async () => {
    const { stdout } = await run('grep Cap /proc/1/status');
    assert.equal(capEff(stdout), maskFromCapabilities(DEFAULT_CAPABILITIES));
    assert.equal(capEff(stdout), '00000000a80425fb');
    assert.match(stdout, /CapInh:\s*0000000000000000/);
  });

  it('privileged gets the capabilities the daemon really has, and can mount', async () => {
    const own = /CapBnd:\s*([0-9a-f]+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1];
    const { exitCode, stdout, stderr } = await run(
      'grep CapEff /proc/1/status && mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted && ls /dev | grep -c . ',
      { privileged: true },
    );
    assert.equal(exitCode, 0, stderr);
    assert.equal(capEff(stdout), own);
    assert.match(stdout, /mounted/);
  });

  it('cap-drop ALL with cap-add NET_BIND_SERVICE', async () => {
    const { stdout } = await run('grep CapEff /proc/1/status', {
      capDrop: ['ALL'],
      capAdd: ['NET_BIND_SERVICE'],
    });
    assert.equal(capEff(stdout), maskFromCapabilities(['CAP_NET_BIND_SERVICE']));
  });

  it("masks Docker's paths (those this kernel has) and makes /proc/sys read-only", async () => {
    const present = [];
    for (const path of DEFAULT_MASKED_PATHS)
      if (
        await access(path).then(
          () => true,
          () => false,
        )
      )
        present.push(path);
    assert.ok(
      present.includes('/proc/keys') || present.includes('/proc/timer_list'),
      'nothing to mask on this host',
    );
    const { stdout, stderr } = await run(
      [
        'cat /proc/self/mountinfo',
        'echo ---',
        'cat /proc/keys /proc/timer_list 2>/dev/null | wc -c',
        'ls /sys/firmware | wc -l',
        'echo 1 > /proc/sys/vm/drop_caches && echo writable || echo refused',
      ].join('; '),
    );
    const [mountInfo = '', checks = ''] = stdout.split('---\n');
    const mountPoints = mountInfo.split('\n').map((line) => line.split(' ')[4]);
    for (const path of present) assert.ok(mountPoints.includes(path), `${path} is not masked`);
    const sysLine = mountInfo.split('\n').find((line) => line.split(' ')[4] === '/proc/sys');
    assert.match(sysLine ?? '', / ro,/);
    assert.deepEqual(checks.trim().split('\n'), ['0', '0', 'refused'], stderr);
  });

  it('--read-only: the root filesystem refuses writes, /dev/shm and tmpfs mounts take them', async () => {
    const { stdout } = await run(
      'touch /x 2>/dev/null && echo root-writable; touch /dev/shm/x && echo shm-ok; touch /run/x && echo tmpfs-ok',
      { readonlyRootfs: true, tmpfs: { '/run': 'size=1m' } },
    );
    assert.equal(stdout, 'shm-ok\ntmpfs-ok\n');
  });

  it('the default seccomp profile denies what Docker denies', async () => {
    // keyctl is not on the allowlist; busybox has no client, but `unshare` needs CAP_SYS_ADMIN-gated syscalls.
    const denied = await run('unshare -U true && echo allowed || echo denied');
    assert.equal(denied.stdout.trim(), 'denied');
    const unconfined = await run('unshare -U true && echo allowed || echo denied', { seccomp: 'unconfined' });
    assert.equal(unconfined.stdout.trim(), 'allowed');
  });

  it('runs as the user it is told, with the groups it is given', async () => {
    const { stdout } = await run('id', { user: '65534:65534', groupAdd: ['1234'] });
    assert.equal(stdout.trim(), 'uid=65534(nobody) gid=65534(nogroup) groups=1234,65534(nogroup)');
  });

  it('a user namespace maps root to an unprivileged host user', async () => {
    // The image's files must belong to the mapped root (what userns-remap's unpacking does).
    const rootfs = join(bed.scratch, 'userns-rootfs');
    await mkdir(rootfs);
    await applyLayer(rootfs, createReadStream(join(imageFixturesDir, 'busybox-rootfs.tar')), {
      whiteouts: 'remove',
    });
    await runCommand('chown', ['-R', '100000:100000', rootfs]);
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const id = newId();
    const { spec } = await bed.spec(id, {
      cmd: ['sh', '-c', 'cat /proc/self/uid_map; id -u; sleep 30'],
      userns: { uidMappings: mapping, gidMappings: mapping },
    });
    const { pid, logPath } = await bed.runtime.create(id, {
      spec,
      rootfs: [{ type: 'bind', source: rootfs, options: ['rbind', 'rw'] }],
    });
    await bed.runtime.start(id);
    assert.match(await readFile(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+100000\s/m);
    await eventually(async () => (await logOutput(logPath)).stdout.includes('\n0\n'));
    assert.match((await logOutput(logPath)).stdout, /^\s+0\s+100000\s+65536\n0\n$/);
    await bed.runtime.delete(id, { force: true });
  });

  it('maps host devices with --device and lowers ulimits to what the daemon may grant', async () => {
    const hard = /Max open files\s+\d+\s+(\d+|unlimited)/.exec(
      await readFile('/proc/self/limits', 'utf8'),
    )?.[1];
    const { exitCode, stdout, stderr } = await run('echo x > /dev/xnull && echo wrote; ulimit -Hn', {
      devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/xnull', cgroupPermissions: 'rw' }],
      ulimits: [{ name: 'nofile', soft: 1 << 30, hard: 1 << 30 }],
    });
    assert.equal(exitCode, 0, stderr);
    const expected = hard === 'unlimited' || bed.host.canRaiseRlimits ? String(1 << 30) : hard;
    assert.equal(stdout, `wrote\n${expected}\n`);
  });
});
