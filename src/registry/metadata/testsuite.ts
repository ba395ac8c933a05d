import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { type Digest, sha256Of } from '../../core/digest.js';
import { hasCode } from '../errors.js';
import type { ManifestRecord, MetadataStore } from './store.js';

const manifest = (repository: string, seed: string, extra: Partial<ManifestRecord> = {}): ManifestRecord => ({
  repository,
  digest: sha256Of(`manifest ${seed}`),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  content: Buffer.from(`manifest ${seed}`),
  blobs: [],
  manifests: [],
  ...extra,
});

/**
 * The contract every {@link MetadataStore} keeps (SQLite and PostgreSQL).
 * Call inside a `describe` with a factory of fresh, empty stores.
 */
export function metadataStoreSuite(create: () => Promise<MetadataStore>): void {
  const withStore = (test: (store: MetadataStore) => Promise<void>) => async () => {
    const store = await create();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };

  it(
    'links blobs per repository; a manifest needs its blobs linked there',
    withStore(async (store) => {
      const layer = sha256Of('layer');
      assert.equal(await store.claimBlob(layer, 5, 1000), true);
      // Claimed, not confirmed (its file is not in place yet): nobody can read or link it.
      assert.equal(await store.findBlob(layer), undefined);
      await assert.rejects(store.linkBlob('a/app', layer, 1000), (err) => hasCode(err, 'BLOB_UNKNOWN'));
      await store.confirmBlob(layer);
      await store.linkBlob('a/app', layer, 1000);
      assert.deepEqual(await store.findLinkedBlob('a/app', layer), { size: 5 });
      assert.equal(await store.findLinkedBlob('b/other', layer), undefined);
      assert.deepEqual(await store.findBlob(layer), { size: 5 });
      await assert.rejects(store.linkBlob('a/app', sha256Of('never claimed'), 1000), (err) =>
        hasCode(err, 'BLOB_UNKNOWN'),
      );
      await assert.rejects(
        store.putManifest(manifest('b/other', 'x', { blobs: [layer] }), 'v1', 1000),
        (err) => hasCode(err, 'MANIFEST_BLOB_UNKNOWN'),
      );
      const record = manifest('a/app', 'x', { blobs: [layer] });
      await store.putManifest(record, 'v1', 1000);
      assert.equal(await store.resolveTag('a/app', 'v1'), record.digest);
      const stored = await store.findManifest('a/app', record.digest);
      assert.ok(stored?.content.equals(record.content));
      assert.equal(stored?.mediaType, record.mediaType);
      assert.equal(await store.unlinkBlob('a/app', layer), true);
      assert.equal(await store.unlinkBlob('a/app', layer), false);
      assert.deepEqual(await store.listRepositories({ limit: 10 }), ['a/app']);
      assert.equal(await store.hasRepository('a/app'), true);
      assert.equal(await store.hasRepository('b/other'), false, 'a refused PUT leaves nothing behind');
    }),
  );

  it(
    'lists tags in byte order with paging, and deletes tags and manifests',
    withStore(async (store) => {
      const record = manifest('tags', 'one');
      await store.putManifest(record, 'b', 1);
      for (const tag of ['a', 'B', 'c', '_x']) await store.putManifest(record, tag, 1);
      assert.deepEqual(await store.listTags('tags', { limit: 10 }), ['B', '_x', 'a', 'b', 'c']);
      assert.deepEqual(await store.listTags('tags', { limit: 2, last: '_x' }), ['a', 'b']);
      assert.deepEqual(await store.listTags('tags', { limit: 0 }), []);
      assert.equal(await store.listTags('absent', { limit: 10 }), undefined);
      assert.equal(await store.deleteTag('tags', 'a'), true);
      assert.equal(await store.deleteTag('tags', 'a'), false);
      assert.equal(await store.deleteManifest('tags', record.digest), true);
      assert.deepEqual(await store.listTags('tags', { limit: 10 }), [], 'tags go with their manifest');
      assert.equal(await store.deleteManifest('tags', record.digest), false);
    }),
  );

  it(
    'finds referrers with artifact type and annotations',
    withStore(async (store) => {
      const subject: Digest = sha256Of('subject');
      const signature = manifest('refs', 'sig', {
        subject,
        artifactType: 'application/vnd.example.sig',
        annotations: { kind: 'signature' },
      });
      await store.putManifest(signature, undefined, 1);
      assert.deepEqual(await store.listReferrers('refs', subject), [
        {
          digest: signature.digest,
          mediaType: signature.mediaType,
          size: signature.content.length,
          artifactType: 'application/vnd.example.sig',
          annotations: { kind: 'signature' },
        },
      ]);
      assert.deepEqual(await store.listReferrers('refs', sha256Of('other')), []);
    }),
  );

  it(
    'keeps upload sessions and lists the idle ones',
    withStore(async (store) => {
      const id = randomUUID();
      await store.createUpload({ id, repository: 'up', size: 0, startedAt: 10, updatedAt: 10 });
      await store.setUploadSize(id, 42, 20);
      assert.deepEqual(await store.findUpload(id), {
        id,
        repository: 'up',
        size: 42,
        startedAt: 10,
        updatedAt: 20,
      });
      assert.deepEqual(
        (await store.listUploads(21)).map((u) => u.id),
        [id],
      );
      assert.deepEqual(await store.listUploads(20), []);
      await store.deleteUpload(id);
      assert.equal(await store.findUpload(id), undefined);
    }),
  );

  it(
    'sweeps unreferenced links and blobs, holding them while deleting',
    withStore(async (store) => {
      const kept = sha256Of('kept');
      const loose = sha256Of('loose');
      for (const digest of [kept, loose]) {
        await store.claimBlob(digest, 4, 100);
        await store.confirmBlob(digest);
        await store.linkBlob('gc', digest, 100);
      }
      // A claim a crash left unconfirmed is garbage once older than the cutoff.
      const cut = sha256Of('cut short');
      await store.claimBlob(cut, 3, 100);
      await store.putManifest(manifest('gc', 'm', { blobs: [kept] }), 'v1', 100);
      assert.deepEqual(await store.storageUsage(), { blobs: 2, bytes: 8 });
      assert.equal(await store.sweepLinks(50, false), 0, 'young links are spared');
      assert.equal(await store.sweepLinks(200, true), 1);
      assert.equal(await store.sweepLinks(200, false), 1);
      assert.deepEqual(await store.findLinkedBlob('gc', loose), undefined);
      const marked = await store.markUnreferencedBlobs(200, false);
      assert.deepEqual(
        marked.sort((x, y) => x.digest.localeCompare(y.digest)),
        [
          { digest: loose, size: 4 },
          { digest: cut, size: 3 },
        ].sort((x, y) => x.digest.localeCompare(y.digest)),
      );
      await store.forgetBlobs([cut]);
      assert.equal(await store.claimBlob(loose, 4, 300), false, 'a push waits while GC deletes');
      await store.forgetBlobs([loose]);
      assert.equal(await store.hasBlobRecord(loose), false);
      assert.equal(await store.claimBlob(loose, 4, 300), true);
      assert.equal(await store.sweepUntaggedManifests(200, false), 0, 'the tagged manifest is live');
      await store.putManifest(manifest('gc', 'untagged'), undefined, 100);
      assert.equal(await store.sweepUntaggedManifests(200, false), 1);
      await store.recordGcRun({
        startedAt: 1,
        finishedAt: 2,
        dryRun: false,
        manifestsDeleted: 1,
        linksDeleted: 1,
        blobsDeleted: 1,
        bytesFreed: 4,
      });
    }),
  );
}
