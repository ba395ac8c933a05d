import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DockerMediaType, OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import {
  createTestRegistry,
  errorCode,
  imageManifest,
  pushBlob,
  pushImage,
  type TestRegistry,
} from '../testing/harness.js';

const ociManifest = { 'content-type': OciMediaType.manifest };

describe('manifests, tags and referrers over HTTP', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry();
  });
  after(() => t.close());

  it('stores a manifest by tag and serves it by tag and digest with its media type', async () => {
    const digest = await pushImage(t.app, 'app', 'v1');
    for (const reference of ['v1', digest]) {
      const get = await t.app.inject({
        url: `/v2/app/manifests/${reference}`,
        headers: { accept: OciMediaType.manifest },
      });
      assert.equal(get.statusCode, 200);
      assert.equal(get.headers['content-type'], OciMediaType.manifest);
      assert.equal(get.headers['docker-content-digest'], digest);
      assert.equal(sha256Of(get.rawPayload), digest);
      const head = await t.app.inject({ method: 'HEAD', url: `/v2/app/manifests/${reference}` });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['content-length'], String(get.rawPayload.byteLength));
    }
  });

  it('answers a PUT with 201, Location and Docker-Content-Digest', async () => {
    const config = await pushBlob(t.app, 'put', '{}');
    const body = imageManifest({ digest: config, size: 2 }, []);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v2/put/manifests/latest',
      headers: ociManifest,
      payload: body,
    });
    assert.equal(put.statusCode, 201);
    assert.equal(put.headers.location, `/v2/put/manifests/${sha256Of(body)}`);
    assert.equal(put.headers['docker-content-digest'], sha256Of(body));
  });

  it('refuses manifests whose blobs the repository lacks: MANIFEST_BLOB_UNKNOWN', async () => {
    const elsewhere = await pushBlob(t.app, 'elsewhere', 'layer');
    const config = await pushBlob(t.app, 'lacking', '{"a":1}');
    const body = imageManifest({ digest: config, size: 7 }, [{ digest: elsewhere, size: 5 }]);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v2/lacking/manifests/v1',
      headers: ociManifest,
      payload: body,
    });
    assert.equal(put.statusCode, 400);
    assert.equal(errorCode(put), 'MANIFEST_BLOB_UNKNOWN');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OciMediaType.index,
        manifests: [{ mediaType: OciMediaType.manifest, digest: sha256Of('x'), size: 1 }],
      }),
    );
    const putIndex = await t.app.inject({
      method: 'PUT',
      url: '/v2/lacking/manifests/idx',
      headers: { 'content-type': OciMediaType.index },
      payload: index,
    });
    assert.equal(errorCode(putIndex), 'MANIFEST_BLOB_UNKNOWN');
  });

  it('refuses invalid manifests, mismatched digests and bad tags', async () => {
    const put = (url: string, payload: string, type: string = OciMediaType.manifest) =>
      t.app.inject({ method: 'PUT', url, headers: { 'content-type': type }, payload });
    assert.equal(errorCode(await put('/v2/bad/manifests/v1', 'not json')), 'MANIFEST_INVALID');
    assert.equal(errorCode(await put('/v2/bad/manifests/v1', '{"schemaVersion":1}')), 'MANIFEST_INVALID');
    const typeMismatch = JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.index, manifests: [] });
    assert.equal(errorCode(await put('/v2/bad/manifests/v1', typeMismatch)), 'MANIFEST_INVALID');
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.index, manifests: [] });
    const wrongDigest = await put(`/v2/bad/manifests/${sha256Of('other')}`, index, OciMediaType.index);
    assert.equal(errorCode(wrongDigest), 'DIGEST_INVALID');
    assert.equal(
      errorCode(await put('/v2/bad/manifests/-bad-tag', index, OciMediaType.index)),
      'TAG_INVALID',
    );
    const big = await put('/v2/bad/manifests/big', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }));
    assert.equal(big.statusCode, 413);
  });

  it('answers unknown manifests and repositories with MANIFEST_UNKNOWN and NAME_UNKNOWN', async () => {
    assert.equal(errorCode(await t.app.inject({ url: '/v2/app/manifests/nope' })), 'MANIFEST_UNKNOWN');
    assert.equal(errorCode(await t.app.inject({ url: '/v2/never/pushed/tags/list' })), 'NAME_UNKNOWN');
  });

  it('negotiates: an OCI manifest is not served to a client that only accepts Docker types', async () => {
    const get = await t.app.inject({
      url: '/v2/app/manifests/v1',
      headers: { accept: DockerMediaType.manifest },
    });
    assert.equal(get.statusCode, 404);
    assert.equal(errorCode(get), 'MANIFEST_UNKNOWN');
    const wildcard = await t.app.inject({ url: '/v2/app/manifests/v1', headers: { accept: '*/*' } });
    assert.equal(wildcard.statusCode, 200);
  });

  it('serves linux/amd64 of a Docker manifest list to a client that cannot read lists', async () => {
    const amd64 = await pushImage(t.app, 'multi', 'amd64');
    const arm64 = await pushImage(t.app, 'multi', 'arm64');
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DockerMediaType.manifestList,
        manifests: [
          {
            mediaType: OciMediaType.manifest,
            digest: arm64,
            size: 1,
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: OciMediaType.manifest,
            digest: amd64,
            size: 1,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v2/multi/manifests/latest',
      headers: { 'content-type': DockerMediaType.manifestList },
      payload: list,
    });
    assert.equal(put.statusCode, 201);
    const single = await t.app.inject({
      url: '/v2/multi/manifests/latest',
      headers: { accept: OciMediaType.manifest },
    });
    assert.equal(single.headers['docker-content-digest'], amd64);
    const whole = await t.app.inject({
      url: '/v2/multi/manifests/latest',
      headers: { accept: DockerMediaType.manifestList },
    });
    assert.equal(whole.headers['docker-content-digest'], sha256Of(list));
  });

  it('deletes a tag alone, or a manifest with its tags', async () => {
    const digest = await pushImage(t.app, 'del', 'one');
    await t.app.inject({
      method: 'PUT',
      url: '/v2/del/manifests/two',
      headers: ociManifest,
      payload: (await t.app.inject({ url: `/v2/del/manifests/${digest}` })).rawPayload,
    });
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/v2/del/manifests/one' })).statusCode, 202);
    assert.equal((await t.app.inject({ url: '/v2/del/manifests/one' })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/v2/del/manifests/two' })).statusCode, 200);
    assert.equal(
      (await t.app.inject({ method: 'DELETE', url: `/v2/del/manifests/${digest}` })).statusCode,
      202,
    );
    assert.equal((await t.app.inject({ url: '/v2/del/manifests/two' })).statusCode, 404);
    const again = await t.app.inject({ method: 'DELETE', url: `/v2/del/manifests/${digest}` });
    assert.equal(errorCode(again), 'MANIFEST_UNKNOWN');
  });

  it('lists tags in order with n/last pagination and a Link header', async () => {
    for (const tag of ['c', 'a', 'b', 'd']) await pushImage(t.app, 'paged', tag);
    const first = await t.app.inject({ url: '/v2/paged/tags/list?n=2' });
    assert.deepEqual(first.json(), { name: 'paged', tags: ['a', 'b'] });
    assert.equal(first.headers.link, '</v2/paged/tags/list?last=b&n=2>; rel="next"');
    const second = await t.app.inject({ url: '/v2/paged/tags/list?n=2&last=b' });
    assert.deepEqual(second.json().tags, ['c', 'd']);
    const all = await t.app.inject({ url: '/v2/paged/tags/list' });
    assert.deepEqual(all.json().tags, ['a', 'b', 'c', 'd']);
    assert.equal(all.headers.link, undefined);
    assert.equal(
      errorCode(await t.app.inject({ url: '/v2/paged/tags/list?n=x' })),
      'PAGINATION_NUMBER_INVALID',
    );
  });

  it('lists the catalog with pagination', async () => {
    const page = await t.app.inject({ url: '/v2/_catalog?n=2' });
    assert.equal(page.json().repositories.length, 2);
    assert.match(String(page.headers.link), /^<\/v2\/_catalog\?last=.+&n=2>; rel="next"$/);
    const all = (await t.app.inject({ url: '/v2/_catalog' })).json().repositories as string[];
    assert.deepEqual(all, [...all].sort());
    assert.ok(all.includes('paged'));
  });

  it('sets OCI-Subject and lists referrers, filtered by artifactType', async () => {
    const subject = await pushImage(t.app, 'refs', 'base');
    const empty = await pushBlob(t.app, 'refs', '{}');
    const artifact = (artifactType: string) =>
      imageManifest({ digest: empty, size: 2 }, [], {
        artifactType,
        subject: { mediaType: OciMediaType.manifest, digest: subject, size: 1 },
        annotations: { 'org.example': artifactType },
      });
    for (const type of ['application/vnd.example.sbom', 'application/vnd.example.sig']) {
      const body = artifact(type);
      const put = await t.app.inject({
        method: 'PUT',
        url: `/v2/refs/manifests/${sha256Of(body)}`,
        headers: ociManifest,
        payload: body,
      });
      assert.equal(put.statusCode, 201);
      assert.equal(put.headers['oci-subject'], subject);
    }
    const all = await t.app.inject({ url: `/v2/refs/referrers/${subject}` });
    assert.equal(all.statusCode, 200);
    assert.equal(all.headers['content-type'], OciMediaType.index);
    assert.equal(all.json().manifests.length, 2);
    const sbom = await t.app.inject({
      url: `/v2/refs/referrers/${subject}?artifactType=application/vnd.example.sbom`,
    });
    assert.equal(sbom.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(
      sbom.json().manifests.map((m: { artifactType: string }) => m.artifactType),
      ['application/vnd.example.sbom'],
    );
    const none = await t.app.inject({ url: `/v2/refs/referrers/${sha256Of('unknown')}` });
    assert.deepEqual(none.json(), { schemaVersion: 2, mediaType: OciMediaType.index, manifests: [] });
  });
});
