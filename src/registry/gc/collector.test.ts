import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { createTestRegistry, pushBlob, pushImage, type TestRegistry } from '../testing/harness.js';

const MINUTE = 60_000;

describe('online garbage collection', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry({ gracePeriodMs: 10 * MINUTE });
  });
  after(() => t.close());

  const blobStatus = async (name: string, digest: string) =>
    (await t.app.inject({ method: 'HEAD', url: `/v2/${name}/blobs/${digest}` })).statusCode;

  it('keeps referenced blobs and fresh unreferenced ones, deletes old unreferenced ones', async () => {
    const image = await pushImage(t.app, 'gc/app', 'v1', 'kept');
    const orphan = await pushBlob(t.app, 'gc/app', 'pushed but never referenced');
    const fresh = await t.gc.run();
    assert.equal(fresh.blobsDeleted, 0, 'nothing is older than the grace period');
    t.clock.now += 11 * MINUTE;
    const report = await t.gc.run();
    assert.equal(report.linksDeleted, 1);
    assert.equal(report.blobsDeleted, 1);
    assert.equal(report.bytesFreed, 'pushed but never referenced'.length);
    assert.equal(await blobStatus('gc/app', orphan), 404);
    assert.equal(await t.registry.context.storage.blobs.stat(orphan), undefined);
    assert.equal((await t.app.inject({ url: `/v2/gc/app/manifests/${image}` })).statusCode, 200);
  });

  it('frees a deleted image’s blobs, but not blobs another repository still uses', async () => {
    const digest = await pushImage(t.app, 'gc/gone', 'v1', 'shared');
    await pushImage(t.app, 'gc/stays', 'v1', 'shared');
    await t.app.inject({ method: 'DELETE', url: `/v2/gc/gone/manifests/${digest}` });
    t.clock.now += 11 * MINUTE;
    const report = await t.gc.run();
    assert.equal(report.linksDeleted, 2, 'config and layer links of gc/gone');
    assert.equal(report.blobsDeleted, 0, 'gc/stays references the same blobs');
    assert.equal((await t.app.inject({ url: '/v2/gc/stays/manifests/v1' })).statusCode, 200);
  });

  it('a HEAD refreshes the grace period of the blob a push is about to reference', async () => {
    const layer = await pushBlob(t.app, 'gc/race', 'about to be referenced');
    t.clock.now += 9 * MINUTE;
    assert.equal(await blobStatus('gc/race', layer), 200);
    t.clock.now += 9 * MINUTE;
    await t.gc.run();
    assert.equal(await blobStatus('gc/race', layer), 200, 'touched 9 minutes ago: spared');
  });

  it('deletes untagged manifests only when asked, and a dry run deletes nothing', async () => {
    const digest = await pushImage(t.app, 'gc/untagged', 'v1', 'untagged');
    await t.app.inject({ method: 'DELETE', url: '/v2/gc/untagged/manifests/v1' });
    t.clock.now += 11 * MINUTE;
    assert.equal((await t.gc.run()).manifestsDeleted, 0);
    const dry = await t.gc.run({ deleteUntagged: true, dryRun: true });
    assert.equal(dry.manifestsDeleted, 1);
    assert.equal((await t.app.inject({ url: `/v2/gc/untagged/manifests/${digest}` })).statusCode, 200);
    const real = await t.gc.run({ deleteUntagged: true });
    assert.equal(real.manifestsDeleted, 1);
    assert.equal((await t.app.inject({ url: `/v2/gc/untagged/manifests/${digest}` })).statusCode, 404);
  });

  it('a push of a blob being collected waits for the sweep, then stores it again', async () => {
    const content = 'collected then pushed again';
    const digest = sha256Of(content);
    await pushBlob(t.app, 'gc/again', content);
    await t.app.inject({ method: 'DELETE', url: `/v2/gc/again/blobs/${digest}` });
    t.clock.now += 11 * MINUTE;
    const marked = await t.registry.context.metadata.markUnreferencedBlobs(t.clock.now - 10 * MINUTE, false);
    assert.ok(marked.some((b) => b.digest === digest));
    const push = pushBlob(t.app, 'gc/again', content);
    await new Promise((resolve) => setTimeout(resolve, 120));
    await t.registry.context.storage.blobs.delete(digest);
    await t.registry.context.metadata.forgetBlobs([digest]);
    await push;
    assert.equal(await blobStatus('gc/again', digest), 200);
    assert.ok(await t.registry.context.storage.blobs.stat(digest));
  });

  it('expires idle upload sessions', async () => {
    await t.app.inject({ method: 'POST', url: '/v2/gc/idle/blobs/uploads/' });
    assert.equal(await t.registry.uploadSessions(), 1);
    t.clock.now += 2 * MINUTE;
    assert.equal(await t.gc.purgeUploads(MINUTE), 1);
    assert.equal(await t.registry.uploadSessions(), 0);
  });
});
