import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { applyLayer } from './apply.js';
import { diffUpper } from './diff.js';
import { dockerArchiveLayers, fixturesDir } from './fixture-archive.js';
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

  it('round-trips every fixture layer: apply, diff, apply gives the same tree', async (t) => {
    const dir = await fixturesDir();
    if (!dir) return t.skip('image fixtures not found (set BERTH_FIXTURES)');
    for (const layer of await dockerArchiveLayers(join(dir, 'layers.docker-archive.tar'))) {
      const first = await freshDir();
      await applyLayer(first, Readable.from([layer]));
      const again = await freshDir();
      await applyLayer(again, diffUpper(first));
      assert.deepEqual(await listTree(again), await listTree(first));
    }
  });

  it('turns overlay whiteouts and opaque directories into .wh. entries', async (t) => {
    const dir = await fixturesDir();
    if (!dir) return t.skip('image fixtures not found (set BERTH_FIXTURES)');
    const top = (await dockerArchiveLayers(join(dir, 'layers.docker-archive.tar')))[2]!;
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
