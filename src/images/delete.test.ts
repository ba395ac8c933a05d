import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import { fixturesMissing } from '../testing/paths.js';
import { FIXTURE_IDS, type ImageFixture, imageFixture, loadFixture, openTestImages } from './testing.js';
import type { ImageUser } from './usage.js';

const skip = process.getuid?.() !== 0 ? 'needs root (overlay snapshots)' : fixturesMissing;
const kind = (k: ErrorKind) => (err: unknown) => isKind(err, k);

// Chain IDs of the layered fixture above the shared busybox layer, top first (as dockerd reports them).
const LAYERS_CHAIN = [
  'sha256:ca8fe1e6bde57d1b10f9ca251986f5470fcf85f21c00e779f13cc30a022428a5',
  'sha256:437cc8a6068207a5657c75cffc9f9f6834ba36e6b99648b63116c958deadca94',
];

describe('rmi, tag and prune', { skip }, () => {
  let fx: ImageFixture;
  let users: ImageUser[];
  beforeEach(async () => {
    fx = await openTestImages();
    users = [];
    fx.service.setUsage({ containersUsing: (id: Digest) => (id === FIXTURE_IDS.busybox ? users : []) });
    await loadFixture(fx.service, imageFixture('busybox.docker-archive.tar')!);
    await loadFixture(fx.service, imageFixture('layers.docker-archive.tar')!);
  });
  afterEach(() => fx.cleanup());

  it('untags one of several names, refuses an ID with several names, deletes with force', async () => {
    await fx.service.tag('busybox', 'docker.io/library/bb', 't2');
    await fx.service.tag('busybox', 'other/bb', 'x');
    assert.deepEqual((await fx.service.inspect('bb:t2')).repoTags, ['bb:t2', 'busybox:latest', 'other/bb:x']);
    assert.match((await fx.service.inspect('busybox')).lastTagTime, /^\d{4}-.*Z$/);
    await assert.rejects(fx.service.remove('9d3a14749733'), (err: unknown) => {
      assert.ok(isKind(err, ErrorKind.Conflict));
      assert.equal(
        (err as Error).message,
        'conflict: unable to delete 9d3a14749733 (must be forced) - image is referenced in multiple repositories',
      );
      return true;
    });
    assert.deepEqual(await fx.service.remove('bb:t2'), [{ untagged: 'bb:t2' }]);
    assert.deepEqual(await fx.service.remove('9d3a', { force: true }), [
      { untagged: 'busybox:latest' },
      { untagged: 'other/bb:x' },
      { deleted: FIXTURE_IDS.busybox },
    ]);
    // The busybox layer stays: the layered image still uses it.
    assert.equal((await fx.service.inspect('fixture/layers')).size, 3967854);
  });

  it('deletes an image with its own layers and blobs, top layer first', async () => {
    const before = await blobCount(fx);
    assert.deepEqual(await fx.service.remove('fixture/layers'), [
      { untagged: 'fixture/layers:latest' },
      { deleted: FIXTURE_IDS.layers },
      { deleted: LAYERS_CHAIN[0] },
      { deleted: LAYERS_CHAIN[1] },
    ]);
    assert.equal(await blobCount(fx), before - 4, 'its manifest, config and two layers');
    assert.deepEqual(
      fx.events.map((e) => e.Action).filter((a) => a !== 'load'),
      ['untag', 'delete'],
    );
  });

  it("answers dockerd's errors for names it does not know", async () => {
    await assert.rejects(fx.service.remove('nope'), /^BerthError: No such image: nope:latest$/);
    await assert.rejects(fx.service.remove('busybox:nope'), /No such image: busybox:nope/);
    await assert.rejects(fx.service.tag('nope', 'x'), kind(ErrorKind.NotFound));
    await assert.rejects(fx.service.inspect('UPPER'), kind(ErrorKind.InvalidArgument));
    await assert.rejects(
      fx.service.tag('busybox', `x@${FIXTURE_IDS.busybox}`),
      /refusing to create a tag with a digest reference/,
    );
  });

  it('refuses to untag the last name of an image a container uses, unless forced', async () => {
    users = [{ id: 'abc123def4567890', running: false }];
    await assert.rejects(
      fx.service.remove('busybox'),
      (err: unknown) =>
        (err as Error).message ===
        'conflict: unable to remove repository reference "busybox" (must force) - container abc123def456 is using its referenced image 9d3a14749733',
    );
    await assert.rejects(
      fx.service.remove(FIXTURE_IDS.busybox),
      /must be forced\) - image is being used by stopped container abc123def456/,
    );
    // Forced: a stopped container does not keep the image.
    assert.deepEqual((await fx.service.remove('busybox', { force: true })).at(-1), {
      deleted: FIXTURE_IDS.busybox,
    });
  });

  it('keeps an image a running container uses, dangling, when its last name is forced away', async () => {
    users = [{ id: 'abc123def4567890', running: true }];
    assert.deepEqual(await fx.service.remove('busybox', { force: true }), [{ untagged: 'busybox:latest' }]);
    const [dangling] = await fx.service.list({ filters: { dangling: ['true'] } });
    assert.equal(dangling?.id, FIXTURE_IDS.busybox);
    await assert.rejects(
      fx.service.remove(FIXTURE_IDS.busybox, { force: true }),
      /cannot be forced\) - image is being used by running container/,
    );
  });

  it('keeps an image whose tag moved away as dangling, and prune removes it with its layers', async () => {
    await loadFixture(fx.service, imageFixture('layers.dockerd-save.tar')!);
    await fx.service.tag('fixture/layers-dockerd', 'fixture/layers');
    const all = await fx.service.list();
    assert.deepEqual(
      all.map((image) => [image.id, image.repoTags]),
      [
        [FIXTURE_IDS.layersDockerd, ['fixture/layers-dockerd:latest', 'fixture/layers:latest']],
        [FIXTURE_IDS.layers, []],
        [FIXTURE_IDS.busybox, ['busybox:latest']],
      ],
    );
    const usage = await fx.service.diskUsage();
    const report = await fx.service.prune({ dangling: ['true'] });
    assert.deepEqual(report.deleted, [
      { deleted: FIXTURE_IDS.layers },
      ...LAYERS_CHAIN.map((deleted) => ({ deleted })),
    ]);
    assert.equal(report.spaceReclaimed, 1982273);
    assert.equal((await fx.service.diskUsage()).layersSize, usage.layersSize - 1982273);
    assert.deepEqual(await fx.service.prune(), { deleted: [], spaceReclaimed: 0 });
    assert.deepEqual(fx.events.at(-1)?.Actor.Attributes, { reclaimed: '0' });
  });

  it('prunes every unused image with dangling=false, honouring label filters', async () => {
    const report = await fx.service.prune({ dangling: ['false'], 'label!': ['org.example.fixture=layers'] });
    // busybox goes; its layer stays, the layered image still uses it.
    assert.deepEqual(report.deleted, [{ untagged: 'busybox:latest' }, { deleted: FIXTURE_IDS.busybox }]);
    const rest = await fx.service.prune({ dangling: ['false'] });
    assert.equal(rest.deleted.filter((item) => 'deleted' in item).length, 1 + 3, 'one image, three layers');
    assert.equal(fx.service.count(), 0);
    assert.equal(await blobCount(fx), 0);
    await assert.rejects(fx.service.prune({ dangling: ['maybe'] }), /invalid filter 'dangling=\[maybe\]'/);
  });
});

async function blobCount(fx: ImageFixture): Promise<number> {
  let count = 0;
  for await (const _ of fx.content.walk()) count++;
  return count;
}
