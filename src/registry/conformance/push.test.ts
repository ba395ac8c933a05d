/**
 * OCI Distribution Specification v1.1, "Push": blob uploads (POST then PUT,
 * monolithic POST, chunked PATCH, status, cancel, cross-repository mount) and
 * manifest PUTs, checked against a real berth-registry process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import { type ConformanceRegistry, EMPTY_CONFIG, ociManifest, startConformanceRegistry } from './client.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const octets = { 'content-type': 'application/octet-stream' };

describe('OCI distribution-spec v1.1: push', () => {
  let r: ConformanceRegistry;
  before(async () => {
    r = await startConformanceRegistry();
  });
  after(() => r?.stop());

  const open = async (name: string) => {
    const answer = await r.request('POST', `/v2/${name}/blobs/uploads/`);
    assert.equal(answer.status, 202);
    const location = answer.headers.get('location') ?? '';
    assert.match(location, UUID, 'the session Location holds a UUID');
    return new URL(location, r.base);
  };
  const withDigest = (location: URL, digest: string) => {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    return url.pathname + url.search;
  };
  const blobIsThere = async (name: string, digest: string, content: Buffer) => {
    const get = await r.request('GET', `/v2/${name}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(content));
  };

  describe('blobs', () => {
    it('POST then PUT: 202 with a session Location, then 201 with the blob Location and digest', async () => {
      const content = Buffer.from('post then put');
      const digest = sha256Of(content);
      const location = await open('push/a');
      const put = await r.request('PUT', withDigest(location, digest), { headers: octets, body: content });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('location'), `/v2/push/a/blobs/${digest}`);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      await blobIsThere('push/a', digest, content);
    });

    it('single POST with ?digest=: 201 with the blob Location', async () => {
      const content = Buffer.from('monolithic post');
      const digest = sha256Of(content);
      const post = await r.request('POST', `/v2/push/a/blobs/uploads/?digest=${digest}`, {
        headers: octets,
        body: content,
      });
      assert.equal(post.status, 201);
      assert.equal(post.headers.get('location'), `/v2/push/a/blobs/${digest}`);
      await blobIsThere('push/a', digest, content);
    });

    it('chunked: each PATCH answers 202 with Location and an inclusive Range; PUT closes with 201', async () => {
      const parts = [Buffer.from('first chunk|'), Buffer.from('second chunk|'), Buffer.from('last')];
      const whole = Buffer.concat(parts);
      let location = await open('push/chunked');
      let offset = 0;
      for (const part of parts.slice(0, 2)) {
        const patch = await r.request('PATCH', location.pathname + location.search, {
          headers: {
            ...octets,
            'content-range': `${offset}-${offset + part.length - 1}`,
            'content-length': String(part.length),
          },
          body: part,
        });
        assert.equal(patch.status, 202);
        offset += part.length;
        assert.equal(patch.headers.get('range'), `0-${offset - 1}`);
        location = new URL(patch.headers.get('location') ?? '', r.base);
      }
      // GET on the session: 204 with Location and Range.
      const status = await r.request('GET', location.pathname + location.search);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), `0-${offset - 1}`);
      assert.match(status.headers.get('location') ?? '', UUID);
      // The final chunk comes with the closing PUT.
      const last = parts[2] as Buffer;
      const put = await r.request('PUT', withDigest(location, sha256Of(whole)), {
        headers: { ...octets, 'content-range': `${offset}-${offset + last.length - 1}` },
        body: last,
      });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('location'), `/v2/push/chunked/blobs/${sha256Of(whole)}`);
      await blobIsThere('push/chunked', sha256Of(whole), whole);
    });

    it('a chunk out of order gets 416, and the session keeps what it had', async () => {
      const location = await open('push/order');
      const first = await r.request('PATCH', location.pathname, {
        headers: { ...octets, 'content-range': '0-4' },
        body: 'abcde',
      });
      assert.equal(first.status, 202);
      const skipped = await r.request('PATCH', location.pathname, {
        headers: { ...octets, 'content-range': '10-14' },
        body: 'klmno',
      });
      assert.equal(skipped.status, 416);
      const status = await r.request('GET', location.pathname);
      assert.equal(status.headers.get('range'), '0-4');
      const lastOutOfOrder = await r.request('PUT', withDigest(location, sha256Of('abcdeXYZ')), {
        headers: { ...octets, 'content-range': '7-9' },
        body: 'XYZ',
      });
      assert.equal(lastOutOfOrder.status, 416);
    });

    it('a digest that does not match gets 400 DIGEST_INVALID, and no blob is kept', async () => {
      const location = await open('push/bad');
      const claimed = sha256Of('something else');
      const put = await r.request('PUT', withDigest(location, claimed), { headers: octets, body: 'actual' });
      assert.equal(put.status, 400);
      assert.equal(put.errorCode(), 'DIGEST_INVALID');
      assert.equal((await r.request('HEAD', `/v2/push/bad/blobs/${claimed}`)).status, 404);
      assert.equal((await r.request('HEAD', `/v2/push/bad/blobs/${sha256Of('actual')}`)).status, 404);
    });

    it('DELETE cancels a session (204); the session is then unknown (404 BLOB_UPLOAD_UNKNOWN)', async () => {
      const location = await open('push/cancel');
      assert.equal((await r.request('DELETE', location.pathname)).status, 204);
      const status = await r.request('GET', location.pathname);
      assert.equal(status.status, 404);
      assert.equal(status.errorCode(), 'BLOB_UPLOAD_UNKNOWN');
      const patch = await r.request('PATCH', location.pathname, { headers: octets, body: 'late' });
      assert.equal(patch.status, 404);
    });

    it('a session belongs to its repository', async () => {
      const location = await open('push/owner');
      const id = location.pathname.split('/').at(-1);
      const elsewhere = await r.request('GET', `/v2/push/thief/blobs/uploads/${id}`);
      assert.equal(elsewhere.status, 404);
      assert.equal(elsewhere.errorCode(), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('mount: 201 with Location and Docker-Content-Digest; 202 with a session when not mountable', async () => {
      const digest = await r.pushBlob('push/source', 'shared layer');
      const mounted = await r.request(
        'POST',
        `/v2/push/target/blobs/uploads/?mount=${digest}&from=push/source`,
      );
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.get('location'), `/v2/push/target/blobs/${digest}`);
      assert.equal(mounted.headers.get('docker-content-digest'), digest);
      await blobIsThere('push/target', digest, Buffer.from('shared layer'));
      const absent = sha256Of('not anywhere');
      const fallback = await r.request(
        'POST',
        `/v2/push/target/blobs/uploads/?mount=${absent}&from=push/source`,
      );
      assert.equal(fallback.status, 202);
      assert.match(fallback.headers.get('location') ?? '', UUID);
    });

    it('a PUT without a digest, or with a malformed one, gets 400 DIGEST_INVALID', async () => {
      const location = await open('push/nodigest');
      const none = await r.request('PUT', location.pathname, { headers: octets, body: 'x' });
      assert.equal(none.status, 400);
      assert.equal(none.errorCode(), 'DIGEST_INVALID');
      const malformed = await r.request('PUT', `${location.pathname}?digest=sha256:nothex`, {
        headers: octets,
        body: 'x',
      });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.errorCode(), 'DIGEST_INVALID');
    });
  });

  describe('manifests', () => {
    it('PUT by tag: 201 with Location and the digest; stored byte for byte', async () => {
      const config = await r.pushBlob('push/m', '{"os":"linux"}');
      // Odd but valid JSON formatting must survive untouched.
      const bytes = Buffer.from(
        `{ "schemaVersion" : 2,\n "mediaType": "${OciMediaType.manifest}", "config": {"mediaType": "${OciMediaType.config}", "digest": "${config}", "size": 14}, "layers": [] }\n`,
      );
      const put = await r.putManifest('push/m', 'spaced', bytes);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), sha256Of(bytes));
      assert.match(put.headers.get('location') ?? '', /^\/v2\/push\/m\/manifests\//);
      const get = await r.request('GET', '/v2/push/m/manifests/spaced', {
        headers: { accept: OciMediaType.manifest },
      });
      assert.ok(get.body.equals(bytes));
    });

    it('PUT by digest: 201 when the digest matches, 400 DIGEST_INVALID when it does not', async () => {
      const config = await r.pushBlob('push/m', '{}');
      const bytes = ociManifest({ digest: config, size: 2 }, []);
      const put = await r.putManifest('push/m', sha256Of(bytes), bytes);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), sha256Of(bytes));
      const wrong = await r.putManifest('push/m', sha256Of('other'), bytes);
      assert.equal(wrong.status, 400);
      assert.equal(wrong.errorCode(), 'DIGEST_INVALID');
    });

    it('ignores parameters on the Content-Type header', async () => {
      const config = await r.pushBlob('push/m', '{"p":1}');
      const bytes = ociManifest({ digest: config, size: 7 }, []);
      const put = await r.putManifest('push/m', 'params', bytes, `${OciMediaType.manifest}; charset=utf-8`);
      assert.equal(put.status, 201);
      const get = await r.request('GET', '/v2/push/m/manifests/params');
      assert.equal(get.headers.get('content-type'), OciMediaType.manifest);
    });

    it('refuses a manifest whose blobs the repository lacks with MANIFEST_BLOB_UNKNOWN', async () => {
      const elsewhere = await r.pushBlob('push/elsewhere', 'layer');
      const config = await r.pushBlob('push/lacking', '{}');
      const bytes = ociManifest({ digest: config, size: 2 }, [{ digest: elsewhere, size: 5 }]);
      const put = await r.putManifest('push/lacking', 'v1', bytes);
      assert.equal(put.status, 400);
      assert.equal(put.errorCode(), 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await r.request('GET', '/v2/push/lacking/manifests/v1')).status, 404);
    });

    it('refuses malformed manifests with MANIFEST_INVALID', async () => {
      for (const body of [
        'not json',
        '{"schemaVersion":2}',
        '{"schemaVersion":2,"mediaType":"x","config":1}',
      ]) {
        const put = await r.putManifest('push/m', 'broken', Buffer.from(body));
        assert.equal(put.status, 400, body);
        assert.equal(put.errorCode(), 'MANIFEST_INVALID', body);
      }
    });

    it('accepts a subject that does not exist yet, and answers OCI-Subject', async () => {
      await r.pushBlob('push/refs', '{}');
      const subject = { mediaType: OciMediaType.manifest, digest: sha256Of('future image'), size: 12 };
      const bytes = ociManifest(EMPTY_CONFIG, [], { artifactType: 'application/example', subject });
      const put = await r.putManifest('push/refs', sha256Of(bytes), bytes);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('oci-subject'), subject.digest);
    });

    it('accepts manifests of 4 MB (the size clients may expect to push)', async () => {
      const config = await r.pushBlob('push/big', '{}');
      const padding = 'x'.repeat(4_000_000 - 400);
      const bytes = ociManifest({ digest: config, size: 2 }, [], { annotations: { padding } });
      const put = await r.putManifest('push/big', 'large', bytes);
      assert.equal(put.status, 201);
    });

    it('refuses a manifest above the limit with 413', async () => {
      const config = await r.pushBlob('push/big', '{}');
      const bytes = ociManifest({ digest: config, size: 2 }, [], { annotations: { p: 'x'.repeat(5 << 20) } });
      const put = await r.putManifest('push/big', 'huge', bytes);
      assert.equal(put.status, 413);
    });
  });
});
