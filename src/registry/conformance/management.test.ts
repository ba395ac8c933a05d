/**
 * OCI Distribution Specification v1.1, "Content management": deleting tags,
 * manifests and blobs, checked against a real berth-registry process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import { type ConformanceRegistry, EMPTY_CONFIG, ociManifest, startConformanceRegistry } from './client.js';

describe('OCI distribution-spec v1.1: content management', () => {
  let r: ConformanceRegistry;
  before(async () => {
    r = await startConformanceRegistry();
  });
  after(() => r?.stop());

  const tagsOf = async (name: string) =>
    (await r.request('GET', `/v2/${name}/tags/list`)).json<{ tags: string[] }>().tags;

  it('DELETE of a tag: 202; the tag is gone, the manifest stays under its digest and other tags', async () => {
    const { digest, bytes } = await r.pushImage('mgmt/tags', 'v1');
    assert.equal((await r.putManifest('mgmt/tags', 'also', bytes)).status, 201);
    const deleted = await r.request('DELETE', '/v2/mgmt/tags/manifests/v1');
    assert.equal(deleted.status, 202);
    assert.equal((await r.request('GET', '/v2/mgmt/tags/manifests/v1')).status, 404);
    assert.equal((await r.request('GET', `/v2/mgmt/tags/manifests/${digest}`)).status, 200);
    assert.deepEqual(await tagsOf('mgmt/tags'), ['also']);
  });

  it('DELETE of a manifest by digest: 202; it and every tag on it are gone', async () => {
    const { digest, bytes } = await r.pushImage('mgmt/manifests', 'v1');
    assert.equal((await r.putManifest('mgmt/manifests', 'v1-alias', bytes)).status, 201);
    const deleted = await r.request('DELETE', `/v2/mgmt/manifests/manifests/${digest}`);
    assert.equal(deleted.status, 202);
    for (const reference of [digest, 'v1', 'v1-alias']) {
      const get = await r.request('GET', `/v2/mgmt/manifests/manifests/${reference}`);
      assert.equal(get.status, 404, reference);
      assert.equal(get.errorCode(), 'MANIFEST_UNKNOWN', reference);
    }
    assert.deepEqual(await tagsOf('mgmt/manifests'), []);
  });

  it('DELETE of an unknown manifest, tag or repository: 404', async () => {
    await r.pushImage('mgmt/unknown', 'v1');
    for (const path of [
      `/v2/mgmt/unknown/manifests/${sha256Of('never')}`,
      '/v2/mgmt/unknown/manifests/never',
      `/v2/mgmt/no-such-repo/manifests/${sha256Of('never')}`,
    ]) {
      const answer = await r.request('DELETE', path);
      assert.equal(answer.status, 404, path);
      assert.match(answer.errorCode() ?? '', /^(MANIFEST_UNKNOWN|NAME_UNKNOWN)$/, path);
    }
  });

  it('DELETE of a blob: 202; it is then unknown (404 BLOB_UNKNOWN), and a second DELETE is 404', async () => {
    const digest = await r.pushBlob('mgmt/blobs', 'to be deleted');
    const deleted = await r.request('DELETE', `/v2/mgmt/blobs/blobs/${digest}`);
    assert.equal(deleted.status, 202);
    const get = await r.request('GET', `/v2/mgmt/blobs/blobs/${digest}`);
    assert.equal(get.status, 404);
    assert.equal(get.errorCode(), 'BLOB_UNKNOWN');
    const again = await r.request('DELETE', `/v2/mgmt/blobs/blobs/${digest}`);
    assert.equal(again.status, 404);
    assert.equal(again.errorCode(), 'BLOB_UNKNOWN');
  });

  it('deleting a blob from one repository leaves it readable in another', async () => {
    const digest = await r.pushBlob('mgmt/one', 'shared bytes');
    await r.pushBlob('mgmt/two', 'shared bytes');
    assert.equal((await r.request('DELETE', `/v2/mgmt/one/blobs/${digest}`)).status, 202);
    assert.equal((await r.request('GET', `/v2/mgmt/two/blobs/${digest}`)).status, 200);
  });

  it('deleting a referrer removes it from the referrers list', async () => {
    const subject = await r.pushImage('mgmt/refs', 'v1');
    await r.pushBlob('mgmt/refs', '{}');
    const body = ociManifest(EMPTY_CONFIG, [], {
      artifactType: 'application/vnd.example.signature',
      subject: { mediaType: OciMediaType.manifest, digest: subject.digest, size: subject.bytes.length },
    });
    assert.equal((await r.putManifest('mgmt/refs', sha256Of(body), body)).status, 201);
    const listed = async () =>
      (await r.request('GET', `/v2/mgmt/refs/referrers/${subject.digest}`))
        .json<{ manifests: { digest: string }[] }>()
        .manifests.map((d) => d.digest);
    assert.deepEqual(await listed(), [sha256Of(body)]);
    assert.equal((await r.request('DELETE', `/v2/mgmt/refs/manifests/${sha256Of(body)}`)).status, 202);
    assert.deepEqual(await listed(), []);
  });
});
