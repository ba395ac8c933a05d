import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ErrorKind, kindOf } from '../core/errors.js';
import { fixturesMissing, imageFixturesDir } from '../testing/paths.js';
import { applyLayer } from './apply.js';
import { dockerArchiveLayers } from './fixture-archive.js';
import { buildTar, defaultHeader, type EntrySpec } from './tar/build.js';
import { encodeHeader } from './tar/format.js';
import { bodyPadding } from './tar/writer.js';
import { CAPABILITY_XATTR, getXattr, OVERLAY_OPAQUE_XATTR } from './xattr.js';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('applyLayer', () => {
  let scratch: string;
  let n = 0;
  const freshDir = () => mkdtemp(join(scratch, `t${n++}-`));
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-apply-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('unpacks the layered fixture image to the exact tree', { skip: fixturesMissing }, async () => {
    const layers = await dockerArchiveLayers(join(imageFixturesDir, 'layers.docker-archive.tar'));
    const root = await freshDir();
    for (const layer of layers) {
      const applied = await applyLayer(root, Readable.from([layer]), { whiteouts: 'remove' });
      assert.deepEqual(applied, { diffID: sha256(layer), size: layer.length });
    }
    assert.deepEqual((await readdir(join(root, 'd'))).sort(), ['c', 'hard']);
    const c = await lstat(join(root, 'd/c'));
    const hard = await lstat(join(root, 'd/hard'));
    assert.equal(c.ino, hard.ino);
    assert.equal(c.nlink, 2);
    assert.deepEqual([c.uid, c.gid, c.mode & 0o7777], [65534, 65534, 0o644]);
    assert.equal(await readFile(join(root, 'd/c'), 'utf8'), 'c\n');
    await assert.rejects(lstat(join(root, 'rmme')), { code: 'ENOENT' });
    assert.equal(await readFile(join(root, 'keep'), 'utf8'), 'keep\n');
    assert.equal(await readlink(join(root, 'sym')), '/d/c');
    assert.ok((await lstat(join(root, 'fifo'))).isFIFO());
    assert.equal((await lstat(join(root, 'suid'))).mode & 0o7777, 0o4755);
    assert.deepEqual(await readdir(join(root, 'emptydir')), []);
    assert.ok((await lstat(join(root, 'bin/busybox'))).isFile());
  });

  it('keeps overlay whiteouts and opaque markers in overlay mode, gzip or not', {
    skip: fixturesMissing,
  }, async () => {
    const top = (await dockerArchiveLayers(join(imageFixturesDir, 'layers.docker-archive.tar')))[2]!;
    for (const blob of [top, gzipSync(top)]) {
      const root = await freshDir();
      assert.equal((await applyLayer(root, Readable.from([blob]))).diffID, sha256(top));
      const rmme = await lstat(join(root, 'rmme'));
      assert.ok(rmme.isCharacterDevice() && rmme.rdev === 0);
      assert.equal(String(await getXattr(join(root, 'd'), OVERLAY_OPAQUE_XATTR)), 'y');
      assert.deepEqual((await readdir(join(root, 'd'))).sort(), ['c', 'hard']);
    }
  });

  it('reads PAX and GNU long names, binary xattrs, devices and large ids', async () => {
    const long = `${'x'.repeat(120)}/${'y'.repeat(130)}`;
    const capability = Buffer.from('0100000280000000ff0000000000000000000000', 'hex');
    const gnuName = `gnu/${'z'.repeat(150)}`;
    const gnu = Buffer.concat([
      encodeHeader({ ...defaultHeader('././@LongLink'), typeflag: 'L', size: gnuName.length + 1 }),
      Buffer.from(`${gnuName}\0`),
      bodyPadding(gnuName.length + 1),
    ]);
    const tar = buildTar([
      { name: long, body: 'long' },
      { name: 'cap', body: 'bin', xattrs: new Map([[CAPABILITY_XATTR, capability]]), uid: 3_000_000 },
      { name: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
    ]);
    const root = await freshDir();
    // The GNU long-name header applies to the entry after it: put it before a short-named file.
    const gnuEntry = buildTar([{ name: 'short', body: 'gnu' }]).subarray(0, -1024);
    await applyLayer(root, Readable.from([Buffer.concat([gnu, gnuEntry, tar])]));
    assert.equal(await readFile(join(root, gnuName), 'utf8'), 'gnu');
    assert.equal(await readFile(join(root, long), 'utf8'), 'long');
    assert.deepEqual(await getXattr(join(root, 'cap'), CAPABILITY_XATTR), capability);
    assert.equal((await lstat(join(root, 'cap'))).uid, 3_000_000);
    const device = await lstat(join(root, 'null'));
    assert.ok(device.isCharacterDevice());
    assert.equal(device.rdev, 0x103);
  });

  it('replaces earlier entries of the same path, whatever their type', async () => {
    const root = await freshDir();
    const tar = buildTar([
      { name: 'a', body: 'file' },
      { name: 'a/', type: 'directory' },
      { name: 'a/inner', body: 'inner' },
      { name: 'b/', type: 'directory' },
      { name: 'b/x', body: 'x' },
      { name: 'b', body: 'now a file' },
      { name: 'c', type: 'symlink', linkname: 'b' },
      { name: 'c', body: 'now a file too' },
    ]);
    await applyLayer(root, Readable.from([tar]));
    assert.equal(await readFile(join(root, 'a/inner'), 'utf8'), 'inner');
    assert.equal(await readFile(join(root, 'b'), 'utf8'), 'now a file');
    assert.equal(await readFile(join(root, 'c'), 'utf8'), 'now a file too');
  });

  it('streams large files and creates missing parents with mode 0755', async () => {
    const root = await freshDir();
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'q');
    await applyLayer(root, Readable.from([buildTar([{ name: 'deep/er/big', body: big }])]));
    assert.deepEqual(await readFile(join(root, 'deep/er/big')), big);
    assert.equal((await lstat(join(root, 'deep/er'))).mode & 0o7777, 0o755);
  });

  it('reports the digest of a layer large enough to be hashed on another thread', async () => {
    const root = await freshDir();
    const files = [0, 1, 2].map((i) => ({ name: `f${i}`, body: Buffer.alloc(3 * 1024 * 1024, `${i}`) }));
    const layer = buildTar(files);
    // Many small chunks, as a stream delivers them, so the hand-over happens mid-stream.
    const chunks = [];
    for (let at = 0; at < layer.length; at += 65536) chunks.push(layer.subarray(at, at + 65536));
    const applied = await applyLayer(root, Readable.from(chunks));
    assert.deepEqual(applied, { diffID: sha256(layer), size: layer.length });
    assert.deepEqual(await readFile(join(root, 'f2')), files[2]!.body);
  });

  it('refuses a symlink parent even when it points inside the layer', async () => {
    const root = await freshDir();
    const tar = buildTar([
      { name: 'real/' },
      { name: 'alias', type: 'symlink', linkname: 'real' },
      { name: 'alias/f' },
    ]);
    const error = await applyLayer(root, Readable.from([tar])).catch((err: unknown) => err);
    assert.equal(kindOf(error), ErrorKind.InvalidArgument);
    assert.match(String(error), /alias\/f passes through symlink alias/);
    await assert.rejects(lstat(join(root, 'real/f')), { code: 'ENOENT' });
  });

  it('unpacks zstd-compressed layers and reports the uncompressed digest', async () => {
    // A 3 KiB tar holding z/hello, compressed by the zstd command at level 19.
    const zstd = Buffer.from(
      'KLUv/WQACx0DADKEDRGg7QxmxHGb/lf7iTbeFS1WCgZvuSYDgu82uh9FP1RLYywpMf3bHfii1ydr9MYoWR2+d80tZhAgUCtstRjWnV9gsAqFqUZHFBw+4GQkoAA8g0U6gCazMG4AJMA0wHxabqxx5ME=',
      'base64',
    );
    const root = await freshDir();
    const applied = await applyLayer(root, Readable.from([zstd]));
    assert.deepEqual(applied, {
      diffID: 'sha256:0ae991fb14e6253ae45c71b1b215164006216315cbdc6000b2b9b75fbf29524b',
      size: 3072,
    });
    assert.equal(await readFile(join(root, 'z/hello'), 'utf8'), 'zstd works\n'.repeat(50));
  });

  it('stops with Canceled when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const tar = buildTar([{ name: 'f', body: 'x' }]);
    const error = await applyLayer(await freshDir(), Readable.from([tar]), {
      signal: controller.signal,
    }).catch((err: unknown) => err);
    assert.equal(kindOf(error), ErrorKind.Canceled);
  });

  it('refuses a hard link whose target passes through a symlink', async () => {
    const tar = buildTar([
      { name: 'real/' },
      { name: 'real/f', body: 'f' },
      { name: 'alias', type: 'symlink', linkname: 'real' },
      { name: 'h', type: 'link', linkname: 'alias/f' },
    ]);
    const error = await applyLayer(await freshDir(), Readable.from([tar])).catch((err: unknown) => err);
    assert.equal(kindOf(error), ErrorKind.InvalidArgument);
    assert.match(String(error), /layer entry h passes through symlink alias/);
  });

  it('checks a hard link target again once its directory was replaced by a symlink', async () => {
    const outside = await freshDir();
    const tar = buildTar([
      { name: 'd/' },
      { name: 'd/f', body: 'inside' },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'h', type: 'link', linkname: 'd/f' },
      { name: 'g', type: 'link', linkname: 'd' },
    ]);
    const error = await applyLayer(await freshDir(), Readable.from([tar])).catch((err: unknown) => err);
    assert.equal(kindOf(error), ErrorKind.InvalidArgument);
    assert.match(String(error), /layer entry h passes through symlink d/);
    assert.deepEqual(await readdir(outside), []);
  });

  it('links many names to files of the same layer, sharing their inode', async () => {
    const root = await freshDir();
    const entries: EntrySpec[] = [{ name: 'bin/' }, { name: 'bin/busybox', body: 'bb', mode: 0o755 }];
    for (let i = 0; i < 50; i++) entries.push({ name: `bin/a${i}`, type: 'link', linkname: 'bin/busybox' });
    entries.push({ name: 'bin/a7', body: 'replaced' }, { name: 'x', type: 'link', linkname: 'bin/a7' });
    await applyLayer(root, Readable.from([buildTar(entries)]));
    const inode = (await lstat(join(root, 'bin/busybox'))).ino;
    assert.equal((await lstat(join(root, 'bin/a49'))).ino, inode);
    assert.equal((await lstat(join(root, 'bin/busybox'))).nlink, 50);
    assert.equal(await readFile(join(root, 'x'), 'utf8'), 'replaced');
  });

  it('gives a hard link the whole content of a file whose write was still queued or in flight', async () => {
    const root = await freshDir();
    // Enough files that batches go to the writer threads; each link follows its file at once.
    const entries: EntrySpec[] = [{ name: 'd/' }];
    const body = (i: number) => `${i} `.repeat(500 + i);
    for (let i = 0; i < 200; i++) {
      entries.push({ name: `d/f${i}`, body: body(i), mode: 0o640 });
      entries.push({ name: `d/l${i}`, type: 'link', linkname: `d/f${i}` });
    }
    await applyLayer(root, Readable.from([buildTar(entries)]));
    for (const i of [0, 63, 64, 130, 199]) {
      const [file, link] = [await lstat(join(root, `d/f${i}`)), await lstat(join(root, `d/l${i}`))];
      assert.equal(link.ino, file.ino);
      assert.equal(link.mode & 0o7777, 0o640);
      assert.equal(await readFile(join(root, `d/l${i}`), 'utf8'), body(i));
    }
  });

  it('rejects a truncated or corrupt stream', async () => {
    const tar = buildTar([{ name: 'f', body: 'x'.repeat(2000) }]);
    for (const bad of [tar.subarray(0, 1000), Buffer.concat([Buffer.from('garbage'), tar])]) {
      const error = await applyLayer(await freshDir(), Readable.from([bad])).catch((err: unknown) => err);
      assert.equal(kindOf(error), ErrorKind.InvalidArgument);
    }
  });
});
