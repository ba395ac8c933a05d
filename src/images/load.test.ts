import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Digest } from '../core/digest.js';
import { mountAll, unmount } from '../snapshots/mount.js';
import { buildTar, type EntrySpec } from '../snapshots/tar/build.js';
import { fixturesMissing } from '../testing/paths.js';
import { chainIds } from './chain.js';
import { EXTRACT_PREFIX, layerFacts } from './layers.js';
import { FIXTURE_IDS, type ImageFixture, imageFixture, loadFixture, openTestImages } from './testing.js';

const skip = process.getuid?.() !== 0 ? 'needs root (overlay snapshots)' : fixturesMissing;

/** Mounts a read-only view of an image's top layer, runs `check` on it, and cleans up. */
async function withView(
  fx: ImageFixture,
  top: Digest,
  check: (root: string) => Promise<void>,
): Promise<void> {
  const target = await mkdtemp(join(tmpdir(), 'berth-view-'));
  const key = `test-view-${Date.now()}`;
  try {
    await mountAll(await fx.snapshotter.view(key, top), target);
    try {
      await check(target);
    } finally {
      await unmount(target);
    }
  } finally {
    await fx.snapshotter.remove(key).catch(() => undefined);
    await rm(target, { recursive: true, force: true });
  }
}

describe('loading image archives', { skip }, () => {
  let fx: ImageFixture;
  beforeEach(async () => {
    fx = await openTestImages();
  });
  afterEach(() => fx.cleanup());

  it('loads every fixture format with the image IDs of the fixtures README', async () => {
    const cases: [string, string, string][] = [
      ['busybox.docker-archive.tar', 'busybox:latest', FIXTURE_IDS.busybox],
      ['layers.docker-archive.tar', 'fixture/layers:latest', FIXTURE_IDS.layers],
      ['layers.dockerd-save.tar', 'fixture/layers-dockerd:latest', FIXTURE_IDS.layersDockerd],
      ['multiarch.oci-archive.tar', 'fixture/multiarch:latest', FIXTURE_IDS.multiarchAmd64],
    ];
    for (const [file, name, id] of cases) {
      assert.deepEqual(await loadFixture(fx.service, imageFixture(file)!), [`Loaded image: ${name}\n`]);
      assert.equal((await fx.service.inspect(name)).id, id, file);
    }
    // The OCI archive of the layered image is the same image: same ID, same name.
    await loadFixture(fx.service, imageFixture('layers.oci-archive.tar')!);
    assert.equal((await fx.service.inspect('fixture/layers')).id, FIXTURE_IDS.layers);
    assert.equal(fx.service.count(), 4);
    assert.deepEqual(
      fx.events.filter((e) => e.Action === 'load').map((e) => e.Actor.ID),
      [...cases.map(([, , id]) => id), FIXTURE_IDS.layers],
    );
  });

  it('unpacks the layered image to the exact tree, sharing the busybox layer', async () => {
    await loadFixture(fx.service, imageFixture('busybox.docker-archive.tar')!);
    await loadFixture(fx.service, imageFixture('layers.docker-archive.tar')!);
    const layers = await fx.service.inspect('fixture/layers');
    const busybox = await fx.service.inspect('busybox');
    assert.equal(
      busybox.graphDriver.data?.['UpperDir'],
      layers.graphDriver.data?.['LowerDir']?.split(':').at(-1),
    );
    assert.equal(layers.graphDriver.data?.['LowerDir']?.split(':').length, 2);
    const snapshots: string[] = [];
    await fx.snapshotter.walk((info) => {
      snapshots.push(info.name);
    });
    assert.equal(snapshots.length, 3, 'three chain IDs, the bottom one shared');
    await withView(fx, await topChainId(fx, 'fixture/layers'), async (root) => {
      assert.deepEqual((await readdir(join(root, 'd'))).sort(), ['c', 'hard']);
      const c = await lstat(join(root, 'd/c'));
      assert.deepEqual([c.nlink, c.uid, c.gid, c.mode & 0o7777], [2, 65534, 65534, 0o644]);
      assert.equal(c.ino, (await lstat(join(root, 'd/hard'))).ino);
      assert.equal(await readFile(join(root, 'd/c'), 'utf8'), 'c\n');
      await assert.rejects(lstat(join(root, 'rmme')), { code: 'ENOENT' });
      assert.equal(await readFile(join(root, 'keep'), 'utf8'), 'keep\n');
      assert.equal(await readlink(join(root, 'sym')), '/d/c');
      assert.ok((await lstat(join(root, 'fifo'))).isFIFO());
      assert.equal((await lstat(join(root, 'suid'))).mode & 0o7777, 0o4755);
      assert.deepEqual(await readdir(join(root, 'emptydir')), []);
      assert.ok((await lstat(join(root, 'bin/busybox'))).isFile());
    });
  });

  it('picks linux/amd64 from the multi-platform index', async () => {
    await loadFixture(fx.service, imageFixture('multiarch.oci-archive.tar')!);
    const image = await fx.service.inspect('fixture/multiarch');
    assert.equal(image.architecture, 'amd64');
    await withView(fx, await topChainId(fx, 'fixture/multiarch'), async (root) => {
      assert.equal((await readFile(join(root, 'arch.txt'), 'utf8')).trim(), 'amd64');
    });
  });

  it('refuses the malicious layer, writes nothing outside and keeps nothing', async () => {
    const passwd = await readFile('/etc/passwd');
    await assert.rejects(
      loadFixture(fx.service, imageFixture('evil.docker-archive.tar')!),
      /escapes the layer root/,
    );
    for (const name of await readdir('/tmp')) assert.ok(!name.startsWith('berth-evil-'), name);
    assert.deepEqual(await readFile('/etc/passwd'), passwd);
    assert.equal(fx.service.count(), 0);
    await fx.service.collect();
    const left: string[] = [];
    await fx.snapshotter.walk((info) => {
      left.push(info.name);
    });
    assert.deepEqual(left, []);
    assert.deepEqual(await blobs(fx), []);
  });

  it('computes sizes, history and inspect fields as dockerd 20.10 does', async () => {
    await loadFixture(fx.service, imageFixture('layers.dockerd-save.tar')!);
    const [summary] = await fx.service.list();
    assert.equal(summary?.size, 3967854);
    assert.deepEqual(summary?.repoTags, ['fixture/layers-dockerd:latest']);
    const history = await fx.service.history('fixture/layers-dockerd');
    assert.deepEqual(
      history.map((item) => item.size),
      [0, 0, 0, 0, 0, 0, 1982262, 11, 1985581, 0],
    );
    assert.equal(history[0]?.id, FIXTURE_IDS.layersDockerd);
    assert.deepEqual(history[0]?.tags, ['fixture/layers-dockerd:latest']);
    assert.equal(history[1]?.id, '<missing>');
    const details = await fx.service.inspect(FIXTURE_IDS.layersDockerd.slice(7, 19));
    assert.equal(details.created, '2026-11-29T04:27:15.927579804Z');
    assert.equal(details.dockerVersion, '20.10.24+dfsg1');
    assert.deepEqual(details.config.Cmd, ['cat', '/d/c']);
    assert.equal(details.lastTagTime, '0001-01-01T00:00:00Z');
  });

  it('keeps a load whole while garbage collections run beside it', async () => {
    const load = loadFixture(fx.service, imageFixture('layers.docker-archive.tar')!);
    const collections = Array.from({ length: 20 }, () => fx.service.collect());
    await Promise.all([load, ...collections]);
    await fx.service.collect();
    const top = await topChainId(fx, 'fixture/layers');
    assert.ok(await layerFacts(fx.snapshotter, top));
    await withView(fx, top, async (root) => {
      assert.equal(await readFile(join(root, 'd/c'), 'utf8'), 'c\n');
    });
  });

  it('recovers from an interrupted load: no half image, and the same load works again', async () => {
    // What a kill -9 mid-load leaves: a lease holding a blob and a half-unpacked snapshot.
    const lease = fx.metadata.leases.create({ labels: { 'io.berth.images.lease': 'load' } });
    const { info } = await fx.content.write(createReadStream(imageFixture('busybox.docker-archive.tar')!));
    fx.metadata.leases.addResource(lease.id, { kind: 'content', digest: info.digest });
    await fx.snapshotter.prepare(`${EXTRACT_PREFIX}half`);
    await fx.reopen();
    assert.equal(fx.service.count(), 0);
    assert.deepEqual(fx.metadata.leases.list(), []);
    assert.deepEqual(await blobs(fx), []);
    await assert.rejects(fx.snapshotter.stat(`${EXTRACT_PREFIX}half`), /not found/);
    await loadFixture(fx.service, imageFixture('busybox.docker-archive.tar')!);
    assert.equal((await fx.service.inspect('busybox')).id, FIXTURE_IDS.busybox);
  });
});

describe('loading a broken archive', { skip }, () => {
  let fx: ImageFixture;
  before(async () => {
    fx = await openTestImages();
  });
  after(() => fx.cleanup());

  it('explains what is wrong', async () => {
    const load = (entries: EntrySpec[]) =>
      fx.service.load(Readable.from([buildTar(entries)]), { reporter: { message: () => undefined } });
    await assert.rejects(load([{ name: 'x', body: 'y' }]), /no manifest\.json or index\.json/);
    await assert.rejects(load([{ name: 'manifest.json', body: 'null' }]), /manifest cannot be null/);
    await assert.rejects(load([{ name: '../manifest.json', body: '[]' }]), /path escapes the archive/);
    await assert.rejects(
      load([
        {
          name: 'manifest.json',
          body: JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['l.tar'] }]),
        },
      ]),
      /c\.json: no such file/,
    );
    assert.deepEqual(await load([{ name: 'manifest.json', body: '[]' }]), []);
  });

  it('refuses a layer whose bytes are not the DiffID its config names, unpacked early or not', async () => {
    // Over the in-memory limit, so the layer streams into the content store and is unpacked as it passes.
    const layer = buildTar([{ name: 'big', body: Buffer.alloc(2 * 1024 * 1024, 'b') }]);
    const archive = (diffId: string) => {
      const config = JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      });
      const manifest = [{ Config: 'c.json', RepoTags: ['broken/diffid:latest'], Layers: ['l/layer.tar'] }];
      return buildTar([
        { name: 'l/layer.tar', body: layer },
        { name: 'c.json', body: config },
        { name: 'manifest.json', body: JSON.stringify(manifest) },
      ]);
    };
    const load = (tar: Buffer) =>
      fx.service.load(Readable.from([tar]), { reporter: { message: () => undefined } });
    const wrong = `sha256:${createHash('sha256').update('other bytes').digest('hex')}`;
    await assert.rejects(load(archive(wrong)), /invalid diffID for layer 0/);
    const right = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    assert.equal((await load(archive(right))).length, 1);
  });
});

async function topChainId(fx: ImageFixture, name: string): Promise<Digest> {
  return chainIds((await fx.service.inspect(name)).rootFS.layers).at(-1)!;
}

async function blobs(fx: ImageFixture): Promise<Digest[]> {
  const found: Digest[] = [];
  for await (const blob of fx.content.walk()) found.push(blob.digest);
  return found;
}
