import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { IdMap } from '../core/id-map.js';
import { fixturesMissing, imageFixturesDir } from '../testing/paths.js';
import { applyLayer } from './apply.js';
import { diffUpper } from './diff.js';
import { dockerArchiveLayers } from './fixture-archive.js';
import { buildTar } from './tar/build.js';
import { readTar } from './tar/reader.js';
import { listTree } from './tree-listing.js';
import { CAPABILITY_XATTR } from './xattr.js';

async function entryNames(tar: Buffer): Promise<string[]> {
  const names: string[] = [];
  for await (const { header } of readTar(Readable.from([tar]))) names.push(header.name);
  return names;
}

describe('diffUpper', () => {
  let scratch: string;
  let n = 0;
  const freshDir = () => mkdtemp(join(scratch, `t${n++}-`));
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-diff-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('round-trips every fixture layer: apply, diff, apply gives the same tree', {
    skip: fixturesMissing,
  }, async () => {
    for (const layer of await dockerArchiveLayers(join(imageFixturesDir, 'layers.docker-archive.tar'))) {
      const first = await freshDir();
      await applyLayer(first, Readable.from([layer]));
      const again = await freshDir();
      await applyLayer(again, diffUpper(first));
      assert.deepEqual(await listTree(again), await listTree(first));
    }
  });

  it('turns overlay whiteouts and opaque directories into .wh. entries', {
    skip: fixturesMissing,
  }, async () => {
    const top = (await dockerArchiveLayers(join(imageFixturesDir, 'layers.docker-archive.tar')))[2]!;
    const upper = await freshDir();
    await applyLayer(upper, Readable.from([top]));
    const names = await entryNames(await buffer(diffUpper(upper)));
    assert.ok(names.includes('.wh.rmme'));
    assert.ok(names.includes('d/.wh..wh..opq'));
    assert.ok(names.indexOf('d/') < names.indexOf('d/.wh..wh..opq'));
  });

  it('drops whiteouts that hide nothing in the lower layers', async () => {
    const upper = await freshDir();
    const lower = await freshDir();
    await applyLayer(upper, Readable.from([buildTar([{ name: '.wh.gone' }, { name: '.wh.kept' }])]));
    await writeFile(join(lower, 'kept'), 'x');
    const names = await entryNames(await buffer(diffUpper(upper, { lowerDirs: [lower] })));
    assert.deepEqual(names, ['.wh.kept']);
  });

  it('is deterministic and keeps links, capabilities, long names and devices', async () => {
    const capability = Buffer.from('0100000200040000000000000000000000000000', 'hex');
    const long = `${'n'.repeat(90)}/${'m'.repeat(90)}`;
    const source = buildTar([
      { name: 'b', body: 'bee', xattrs: new Map([[CAPABILITY_XATTR, capability]]), mode: 0o2755, uid: 7 },
      { name: 'a', type: 'link', linkname: 'b' },
      { name: 'c', type: 'symlink', linkname: '/nowhere' },
      { name: 'dev', type: 'block', devmajor: 259, devminor: 70000 },
      { name: long, body: 'long' },
    ]);
    const first = await freshDir();
    await applyLayer(first, Readable.from([source]));
    await mkdir(join(first, 'empty'));
    const tar = await buffer(diffUpper(first));
    assert.deepEqual(await buffer(diffUpper(first)), tar);
    assert.deepEqual(await entryNames(tar), [
      'a',
      'b',
      'c',
      'dev',
      'empty/',
      'nnnnnnnnnn'.repeat(9) + '/',
      `${long}`,
    ]);
    const again = await freshDir();
    await applyLayer(again, Readable.from([tar]));
    assert.deepEqual(await listTree(again), await listTree(first));
  });
});

describe('applyLayer and diffUpper with an ID map (userns-remap)', () => {
  const idMap = new IdMap(
    [{ containerID: 0, hostID: 100000, size: 65536 }],
    [{ containerID: 0, hostID: 200000, size: 65536 }],
  );
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-diff-idmap-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('writes container owners as host IDs and reads them back as container IDs', async () => {
    const dir = await mkdtemp(join(scratch, 'l-'));
    const tar = buildTar([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/owned', body: 'x', uid: 1000, gid: 50 },
      { name: 'etc/rootfile', body: 'y' },
    ]);
    await applyLayer(dir, Readable.from([tar]), { idMap });
    assert.equal((await lstat(join(dir, 'etc/owned'))).uid, 101000);
    assert.equal((await lstat(join(dir, 'etc/owned'))).gid, 200050);
    assert.equal((await lstat(join(dir, 'etc/rootfile'))).uid, 100000);
    const owners: string[] = [];
    for await (const { header } of readTar(diffUpper(dir, { idMap })))
      owners.push(`${header.name} ${header.uid}:${header.gid}`);
    assert.deepEqual(owners, ['etc/ 0:0', 'etc/owned 1000:50', 'etc/rootfile 0:0']);
  });

  it('refuses an owner outside the mapping, naming it', async () => {
    const dir = await mkdtemp(join(scratch, 'l-'));
    const tar = buildTar([{ name: 'far', body: 'x', uid: 70000 }]);
    await assert.rejects(
      applyLayer(dir, Readable.from([tar]), { idMap }),
      /Container ID 70000 cannot be mapped to a host ID/,
    );
  });
});
