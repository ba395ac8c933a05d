import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fixturesMissing, imageFixturesDir } from '../../testing/paths.js';
import { applyLayer } from '../apply.js';
import { dockerArchiveLayers } from '../fixture-archive.js';
import { fitOptions, mountAll, unmount, unmountUnder } from '../mount.js';
import type { Mount } from '../snapshotter.js';
import { snapshotterSuite } from '../testsuite.js';
import { createOverlaySnapshotter } from './overlay.js';

const skip = process.getuid?.() === 0 ? undefined : 'overlay mounts need root';

snapshotterSuite('overlay', createOverlaySnapshotter, { skip });

/** Where a layer is unpacked for a snapshot just prepared: its upper directory, or the bind source. */
function layerDir(mounts: Mount[]): string {
  const upper = mounts[0]?.options.find((option) => option.startsWith('upperdir='));
  return upper ? upper.slice('upperdir='.length) : mounts[0]!.source;
}

describe('overlay snapshotter', { skip }, () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-overlay-'));
  });
  after(async () => {
    await unmountUnder(scratch);
    await rm(scratch, { recursive: true, force: true });
  });

  it('unpacks the layered fixture image into snapshots and mounts the exact tree', {
    skip: fixturesMissing,
  }, async () => {
    const s = await createOverlaySnapshotter(join(scratch, 'image'));
    let parent: string | undefined;
    for (const layer of await dockerArchiveLayers(join(imageFixturesDir, 'layers.docker-archive.tar'))) {
      const key = `extract-${parent ?? 'base'}`;
      const diffID = (await applyLayer(layerDir(await s.prepare(key, parent)), Readable.from([layer])))
        .diffID!;
      await s.commit(diffID, key);
      parent = diffID;
    }
    const target = await mkdtemp(join(scratch, 'rootfs-'));
    await mountAll(await s.view('rootfs', parent), target);
    try {
      assert.deepEqual((await readdir(join(target, 'd'))).sort(), ['c', 'hard']);
      const c = await lstat(join(target, 'd/c'));
      assert.equal(c.nlink, 2);
      assert.equal(c.ino, (await lstat(join(target, 'd/hard'))).ino);
      assert.deepEqual([c.uid, c.gid, c.mode & 0o7777], [65534, 65534, 0o644]);
      await assert.rejects(lstat(join(target, 'rmme')), { code: 'ENOENT' });
      assert.equal(await readFile(join(target, 'keep'), 'utf8'), 'keep\n');
      assert.equal(await readlink(join(target, 'sym')), '/d/c');
      assert.ok((await lstat(join(target, 'fifo'))).isFIFO());
      assert.equal((await lstat(join(target, 'suid'))).mode & 0o7777, 0o4755);
      assert.deepEqual(await readdir(join(target, 'emptydir')), []);
    } finally {
      await unmount(target);
    }
  });

  it('describes mounts like containerd: bind for one layer, overlay for more', async () => {
    const root = join(scratch, 'shapes');
    const s = await createOverlaySnapshotter(root);
    const [bind] = await s.prepare('a', undefined);
    assert.deepEqual(bind, { type: 'bind', source: join(root, 'snapshots/1/fs'), options: ['rw', 'rbind'] });
    await s.commit('A', 'a');
    assert.deepEqual((await s.view('v', 'A'))[0]?.options, ['ro', 'rbind']);
    await s.prepare('b', 'A');
    await s.commit('B', 'b');
    const [overlay] = await s.prepare('c', 'B');
    assert.deepEqual(overlay?.options, [
      `workdir=${join(root, 'snapshots/4/work')}`,
      `upperdir=${join(root, 'snapshots/4/fs')}`,
      `lowerdir=${join(root, 'snapshots/3/fs')}:${join(root, 'snapshots/1/fs')}`,
    ]);
  });

  it('shortens long lowerdir lists to paths relative to their common directory', () => {
    const lowers = Array.from({ length: 150 }, (_, i) => `/var/lib/berth/snapshots/${150 - i}/fs`);
    const { options, cwd } = fitOptions(['upperdir=/u', `lowerdir=${lowers.join(':')}`]);
    assert.equal(cwd, '/var/lib/berth/snapshots');
    assert.ok(options.startsWith('upperdir=/u,lowerdir=150/fs:149/fs:'));
    assert.ok(options.length < 4096);
  });

  it('removes directories that no record names when it opens', async () => {
    const root = join(scratch, 'orphans');
    const first = await createOverlaySnapshotter(root);
    await first.prepare('kept', undefined);
    await first.close();
    await mkdir(join(root, 'snapshots', 'new-crashed'));
    await mkdir(join(root, 'snapshots', '99'));
    const again = await createOverlaySnapshotter(root);
    assert.deepEqual(await readdir(join(root, 'snapshots')), ['1']);
    assert.equal((await again.stat('kept')).name, 'kept');
  });

  it('removes a record whose files are already gone (a non-durable removal a power loss undid)', async () => {
    const root = join(scratch, 'undone');
    const snapshotter = await createOverlaySnapshotter(root);
    await snapshotter.prepare('container-x', undefined, { durable: false });
    assert.equal((await snapshotter.stat('container-x')).name, 'container-x');
    await snapshotter.remove('container-x', { durable: false });
    assert.deepEqual(await readdir(join(root, 'snapshots')), []);
    // What a power loss may leave: the record back, its directory not.
    const mounts = await snapshotter.prepare('container-y', undefined);
    await rm(dirname(layerDir(mounts)), { recursive: true });
    await snapshotter.remove('container-y');
    await assert.rejects(snapshotter.stat('container-y'), { message: /not found/ });
  });
});
