import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { runCommand } from '../core/exec.js';
import { isMountPoint } from './device-mount.js';
import { parseVolumeSpec } from './mount-spec.js';
import { toOciMount } from './oci-mounts.js';
import { VolumeService } from './service.js';
import type { OciMount } from './types.js';

const skip = process.getuid?.() === 0 ? undefined : 'needs root (mounts)';

/**
 * Runs a shell script in a private mount namespace after applying an OCI
 * bind mount the way runc does (bind, then remount read-only if asked), so
 * nothing leaks to the host.
 */
function inContainerView(mount: OciMount, at: string, script: string) {
  const readOnly = mount.options.includes('ro') ? `mount -o remount,bind,ro ${at}` : 'true';
  const setup = `mkdir -p ${at} && mount --rbind ${mount.source} ${at} && ${readOnly}`;
  return runCommand('unshare', [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-e',
    '-c',
    `${setup} && ${script}`,
  ]);
}

describe('local volumes on a real filesystem', { skip }, () => {
  let dir = '';
  let volumes: VolumeService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
    volumes = await VolumeService.open({ root: join(dir, 'volumes') });
  });

  after(async () => {
    for (const volume of volumes?.list() ?? []) {
      for (const id of volume.mountedBy) await volumes.unmount(volume.name, id).catch(() => {});
    }
    await runCommand('sh', [
      '-c',
      `grep -o '${dir}[^ ]*' /proc/self/mounts | sort -r | xargs -r umount -l`,
    ]).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps what one container wrote for the next one', async () => {
    await volumes.create({ name: 'keep', labels: { app: 'test' } });
    await volumes.addUser('keep', 'c1');
    const path = await volumes.mount('keep', 'c1');
    const spec = parseVolumeSpec('keep:/data');
    await inContainerView(toOciMount(spec, path), join(dir, 'c1'), `echo kept > ${join(dir, 'c1')}/file`);
    await volumes.unmount('keep', 'c1');
    await volumes.removeUser('keep', 'c1');
    const again = await volumes.mount('keep', 'c2');
    const { stdout } = await inContainerView(
      toOciMount(spec, again),
      join(dir, 'c2'),
      `cat ${join(dir, 'c2')}/file`,
    );
    assert.equal(stdout, 'kept\n');
    await volumes.unmount('keep', 'c2');
  });

  it('refuses writes through a :ro bind and a :ro volume', async () => {
    const host = join(dir, 'host');
    await mkdir(host);
    for (const [spec, source] of [
      [parseVolumeSpec(`${host}:/data:ro`), host],
      [parseVolumeSpec('keep:/data:ro'), volumes.get('keep').mountpoint],
    ] as const) {
      await assert.rejects(
        inContainerView(toOciMount(spec, source), join(dir, 'ro'), `touch ${join(dir, 'ro')}/nope`),
        /Read-only file system/,
      );
    }
    await assert.rejects(stat(join(host, 'nope')));
  });

  it('mounts a tmpfs volume at first use, shares it, and unmounts it at last use', async () => {
    const volume = await volumes.create({
      name: 'scratch',
      options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' },
    });
    await volumes.mount('scratch', 'a');
    await volumes.mount('scratch', 'b');
    assert.ok(await isMountPoint(volume.mountpoint));
    await writeFile(join(volume.mountpoint, 'shared'), 'x');
    await assert.rejects(writeFile(join(volume.mountpoint, 'big'), Buffer.alloc(2 * 1024 * 1024)), /ENOSPC/);
    await volumes.unmount('scratch', 'a');
    assert.ok(await isMountPoint(volume.mountpoint), 'still used by b');
    await volumes.unmount('scratch', 'b');
    assert.equal(await isMountPoint(volume.mountpoint), false);
    await assert.rejects(stat(join(volume.mountpoint, 'shared')), 'tmpfs content is gone');
  });

  it('binds a host directory for -o type=none -o o=bind and never deletes through it', async () => {
    const device = join(dir, 'device');
    await mkdir(device);
    await writeFile(join(device, 'precious'), 'keep me');
    const volume = await volumes.create({ name: 'bound', options: { type: 'none', o: 'bind', device } });
    await volumes.addUser('bound', 'c1');
    await volumes.mount('bound', 'c1');
    assert.equal(await readFile(join(volume.mountpoint, 'precious'), 'utf8'), 'keep me');
    await assert.rejects(volumes.remove('bound'), (err) => isKind(err, 'Conflict'));
    await volumes.unmount('bound', 'c1');
    await volumes.removeUser('bound', 'c1');
    await volumes.remove('bound');
    assert.equal(await readFile(join(device, 'precious'), 'utf8'), 'keep me');
  });

  it('copies image content into an empty volume once, keeping modes and links', async () => {
    const image = join(dir, 'image-etc');
    await mkdir(join(image, 'sub'), { recursive: true });
    await writeFile(join(image, 'sub', 'conf'), 'from image');
    await chmod(join(image, 'sub'), 0o700);
    await symlink('sub/conf', join(image, 'link'));
    const volume = await volumes.create({ name: 'filled' });
    assert.equal(await volumes.copyUp('filled', image), true);
    assert.equal(await readFile(join(volume.mountpoint, 'sub', 'conf'), 'utf8'), 'from image');
    assert.equal((await stat(join(volume.mountpoint, 'sub'))).mode & 0o777, 0o700);
    assert.equal(await readlink(join(volume.mountpoint, 'link')), 'sub/conf');
    await writeFile(join(image, 'later'), 'not copied');
    assert.equal(await volumes.copyUp('filled', image), false);
    assert.equal(await volumes.copyUp('filled', join(dir, 'missing')), false);
  });

  it('prunes unused anonymous volumes, and named ones only with all', async () => {
    const anonymous = await volumes.create({});
    const used = await volumes.create({});
    await volumes.addUser(used.name, 'c9');
    assert.ok(anonymous.anonymous && /^[0-9a-f]{64}$/.test(anonymous.name));
    assert.equal(anonymous.labels['com.docker.volume.anonymous'], '');
    const pruned = await volumes.prune();
    assert.deepEqual(pruned.deleted, [anonymous.name]);
    assert.ok(volumes.list().some((v) => v.name === 'filled'));
    const all = await volumes.prune({ all: true });
    assert.ok(all.deleted.includes('filled') && all.spaceReclaimed > 0);
    assert.ok(volumes.list().some((v) => v.name === used.name));
  });

  it("sends dockerd's events: create each time, mount and unmount once, destroy and prune", async () => {
    const seen: string[] = [];
    const evented = await VolumeService.open({
      root: join(dir, 'volumes-events'),
      events: {
        publish: (e) => seen.push(`${e.action} ${e.id} ${JSON.stringify(e.attributes)}`),
      },
    });
    await evented.create({ name: 'ev' });
    await evented.create({ name: 'ev' });
    await evented.mount('ev', 'c1', { destination: '/data', readWrite: false });
    await evented.unmount('ev', 'c1');
    await evented.unmount('ev', 'c1'); // not mounted by c1 any more: no event
    await evented.remove('ev');
    await evented.prune();
    assert.deepEqual(seen, [
      'create ev {"driver":"local"}',
      'create ev {"driver":"local"}',
      'mount ev {"container":"c1","destination":"/data","propagation":"","read/write":"false","driver":"local"}',
      'unmount ev {"container":"c1","driver":"local"}',
      'destroy ev {"driver":"local"}',
      'prune  {"reclaimed":"0"}',
    ]);
  });

  it('forgets users and mounts of containers that are gone after a restart', async () => {
    await volumes.create({ name: 'restart', options: { type: 'tmpfs', device: 'tmpfs' } });
    await volumes.addUser('restart', 'dead');
    await volumes.addUser('restart', 'alive');
    await volumes.mount('restart', 'dead');
    const reopened = await VolumeService.open({ root: join(dir, 'volumes') });
    assert.deepEqual(reopened.get('restart').users, ['dead', 'alive']);
    await reopened.reconcile({ existing: ['alive'], running: [] });
    assert.deepEqual(reopened.get('restart').users, ['alive']);
    assert.equal(await isMountPoint(reopened.get('restart').mountpoint), false);
    volumes = reopened;
  });

  it('lists with filters and refuses bad names, drivers and options', async () => {
    await volumes.create({ name: 'labelled', labels: { app: 'test', tier: 'db' } });
    assert.deepEqual(
      volumes.list({ label: ['app=test', 'tier'], name: ['abel'] }).map((v) => v.name),
      ['labelled'],
    );
    assert.ok(volumes.list({ dangling: true }).every((v) => v.users.length === 0));
    await assert.rejects(volumes.create({ name: 'a' }), (err) => isKind(err, 'InvalidArgument'));
    await assert.rejects(volumes.create({ name: 'x/y' }), (err) => isKind(err, 'InvalidArgument'));
    await assert.rejects(volumes.create({ name: 'nfs', driver: 'nfs' }), (err) => isKind(err, 'NotFound'));
    await assert.rejects(volumes.create({ name: 'opt', options: { size: '1g' } }), (err) =>
      isKind(err, 'InvalidArgument'),
    );
    await assert.rejects(volumes.create({ name: 'opt', options: { type: 'tmpfs' } }), (err) =>
      isKind(err, 'InvalidArgument'),
    );
    assert.throws(
      () => volumes.get('missing'),
      (err) => isKind(err, 'NotFound'),
    );
    await volumes.remove('missing', { force: true });
  });
});
