import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ContentStore } from '../content/content.js';
import { openLocalContentStore } from '../content/local.js';
import { OciMediaType } from '../core/descriptor.js';
import { type Digest, sha256Of } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import type { MetadataStore } from './store.js';
import { type MetadataFixture, openTestStore } from './testing.js';

/** Writes a blob and returns its digest. */
async function blob(content: ContentStore, text: string): Promise<Digest> {
  return (await content.writeBytes(Buffer.from(text))).info.digest;
}

async function stored(content: ContentStore): Promise<Digest[]> {
  const digests: Digest[] = [];
  for await (const info of content.walk()) digests.push(info.digest);
  return digests.sort();
}

/** An image whose manifest references a config and a layer, all written. */
async function pullImage(store: MetadataStore, content: ContentStore, name: string) {
  const [config, layer] = [await blob(content, `${name} config`), await blob(content, `${name} layer`)];
  const manifest = await blob(content, `${name} manifest`);
  store.refs.addContent({ kind: 'content', id: manifest }, [config, layer]);
  store.images.create({
    name,
    target: { mediaType: OciMediaType.manifest, digest: manifest, size: 1 },
  });
  return { manifest, config, layer };
}

describe('garbage collection', () => {
  let fx: MetadataFixture;
  let content: ContentStore;
  let contentRoot: string;
  beforeEach(async () => {
    fx = await openTestStore();
    contentRoot = await mkdtemp(join(tmpdir(), 'berth-gc-content-'));
    content = await openLocalContentStore(contentRoot);
  });
  afterEach(async () => {
    await fx.cleanup();
    await rm(contentRoot, { recursive: true, force: true });
  });

  it('removes unreferenced blobs and keeps an image with everything its manifest references', async () => {
    const image = await pullImage(fx.store, content, 'docker.io/library/busybox:latest');
    const orphan = await blob(content, 'orphan');
    const result = await fx.store.collectGarbage(content);
    assert.deepEqual(result.deleted, [orphan]);
    assert.deepEqual(await stored(content), [image.manifest, image.config, image.layer].sort());
    assert.deepEqual(await readdir(join(contentRoot, 'blobs', 'sha256')).then((f) => f.length), 3);
  });

  it('collects an image’s blobs once the image is deleted, and forgets their references', async () => {
    const image = await pullImage(fx.store, content, 'docker.io/library/busybox:latest');
    fx.store.images.delete('docker.io/library/busybox:latest');
    const result = await fx.store.collectGarbage(content);
    assert.deepEqual(result.deleted.sort(), [image.manifest, image.config, image.layer].sort());
    assert.deepEqual(fx.store.refs.listContent({ kind: 'content', id: image.manifest }), []);
  });

  it('keeps leased content until the lease is deleted', async () => {
    const lease = fx.store.leases.create({ id: 'pull' });
    const digest = sha256Of('half-pulled layer');
    fx.store.leases.addResource(lease.id, { kind: 'content', digest });
    await content.writeBytes(Buffer.from('half-pulled layer'), { digest });
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, []);
    fx.store.leases.delete(lease.id);
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, [digest]);
  });

  it('collects content of an expired lease and deletes the lease', async () => {
    fx.store.leases.create({ id: 'crashed-pull', ttlMs: 60_000 });
    const digest = await blob(content, 'abandoned');
    fx.store.leases.addResource('crashed-pull', { kind: 'content', digest });
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, [], 'still leased');
    fx.clock.now += 60_000;
    const result = await fx.store.collectGarbage(content);
    assert.deepEqual(result, { deleted: [digest], expiredLeases: ['crashed-pull'] });
    assert.throws(
      () => fx.store.leases.get('crashed-pull'),
      (err) => isKind(err, ErrorKind.NotFound),
    );
  });

  it('keeps a blob that gains a reference while the collection runs', async () => {
    const reused = await blob(content, 'reused');
    const child = await blob(content, 'child of reused');
    fx.store.refs.addContent({ kind: 'content', id: reused }, [child]);
    const gc = fx.store.collectGarbage(content);
    // The collection has marked already (synchronously); this reference comes after.
    fx.store.leases.create({ id: 'late' });
    fx.store.leases.addResource('late', { kind: 'content', digest: reused });
    assert.deepEqual((await gc).deleted, []);
    assert.deepEqual(await stored(content), [reused, child].sort());
  });

  it('keeps a blob whose writer references it in beforeCommit while a collection runs', async () => {
    fx.store.leases.create({ id: 'build' });
    async function* layer(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 8; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield Buffer.from(`chunk ${i}\n`);
      }
    }
    const write = content.write(layer(), {
      beforeCommit: (digest) => fx.store.leases.addResource('build', { kind: 'content', digest }),
    });
    const gc = fx.store.collectGarbage(content);
    const [{ info }, result] = await Promise.all([write, gc]);
    assert.deepEqual(result.deleted, []);
    assert.deepEqual(await stored(content), [info.digest]);
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, [], 'still leased afterwards');
  });

  it('runs one collection at a time', async () => {
    await blob(content, 'x');
    const first = fx.store.collectGarbage(content);
    await assert.rejects(fx.store.collectGarbage(content), (err) => isKind(err, ErrorKind.Conflict));
    await first;
  });

  it('treats containers as roots', async () => {
    const digest = await blob(content, 'container layer');
    fx.store.refs.addContent({ kind: 'container', id: 'c0ffee' }, [digest]);
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, []);
    fx.store.refs.deleteOwner({ kind: 'container', id: 'c0ffee' });
    assert.deepEqual((await fx.store.collectGarbage(content)).deleted, [digest]);
  });
});
