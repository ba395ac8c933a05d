/**
 * OCI Distribution Specification v1.1, "Pull": every MUST and SHOULD of
 * pulling manifests and blobs, checked against a real berth-registry process.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import { type ConformanceRegistry, startConformanceRegistry } from './client.js';

describe('OCI distribution-spec v1.1: pull', () => {
  let r: ConformanceRegistry;
  let image: { digest: string; bytes: Buffer };
  const blob = Buffer.from('0123456789abcdefghij');
  let blobDigest: string;
  before(async () => {
    r = await startConformanceRegistry();
    image = await r.pushImage('pull/app', 'v1');
    blobDigest = await r.pushBlob('pull/app', blob);
  });
  after(() => r?.stop());

  it('GET /v2/ answers 200 with Docker-Distribution-API-Version', async () => {
    const answer = await r.request('GET', '/v2/');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  describe('manifests', () => {
    for (const by of ['tag', 'digest'] as const) {
      it(`GET by ${by}: 200, the exact bytes pushed, their Content-Type and Docker-Content-Digest`, async () => {
        const reference = by === 'tag' ? 'v1' : image.digest;
        const answer = await r.request('GET', `/v2/pull/app/manifests/${reference}`, {
          headers: { accept: OciMediaType.manifest },
        });
        assert.equal(answer.status, 200);
        assert.ok(answer.body.equals(image.bytes));
        // SHOULD match what was pushed, and SHOULD NOT carry parameters.
        assert.equal(answer.headers.get('content-type'), OciMediaType.manifest);
        assert.equal(answer.headers.get('docker-content-digest'), image.digest);
        assert.equal(sha256Of(answer.body), image.digest);
      });

      it(`HEAD by ${by}: 200, Docker-Content-Digest and Content-Length, no body`, async () => {
        const reference = by === 'tag' ? 'v1' : image.digest;
        const answer = await r.request('HEAD', `/v2/pull/app/manifests/${reference}`, {
          headers: { accept: OciMediaType.manifest },
        });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('docker-content-digest'), image.digest);
        assert.equal(answer.headers.get('content-length'), String(image.bytes.length));
        assert.equal(answer.body.length, 0);
      });
    }

    it('serves a manifest to a client that sends no Accept header', async () => {
      const answer = await r.request('GET', '/v2/pull/app/manifests/v1');
      assert.equal(answer.status, 200);
      assert.ok(answer.body.equals(image.bytes));
    });

    it('answers 404 MANIFEST_UNKNOWN for an unknown tag or digest, on GET and HEAD', async () => {
      for (const reference of ['nope', sha256Of('nothing')]) {
        const get = await r.request('GET', `/v2/pull/app/manifests/${reference}`);
        assert.equal(get.status, 404);
        assert.equal(get.errorCode(), 'MANIFEST_UNKNOWN');
        assert.equal((await r.request('HEAD', `/v2/pull/app/manifests/${reference}`)).status, 404);
      }
    });

    it('answers 404 for a repository that does not exist', async () => {
      const answer = await r.request('GET', '/v2/pull/absent/manifests/v1');
      assert.equal(answer.status, 404);
      assert.match(answer.errorCode() ?? '', /^(NAME_UNKNOWN|MANIFEST_UNKNOWN)$/);
    });

    it('refuses a reference that is neither a tag nor a digest with 400', async () => {
      for (const reference of ['-leading-dash', `${'t'.repeat(129)}`, 'sha256:short', 'md5:abcd']) {
        const answer = await r.request('GET', `/v2/pull/app/manifests/${reference}`);
        assert.equal(answer.status, 400, reference);
      }
    });
  });

  describe('blobs', () => {
    it('GET: 200 with the bytes, Docker-Content-Digest matching the body, Content-Length', async () => {
      const answer = await r.request('GET', `/v2/pull/app/blobs/${blobDigest}`);
      assert.equal(answer.status, 200);
      assert.ok(answer.body.equals(blob));
      assert.equal(answer.headers.get('docker-content-digest'), blobDigest);
      assert.equal(sha256Of(answer.body), blobDigest);
      assert.equal(answer.headers.get('content-length'), String(blob.length));
    });

    it('HEAD: 200 with Docker-Content-Digest and Content-Length, no body', async () => {
      const answer = await r.request('HEAD', `/v2/pull/app/blobs/${blobDigest}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('docker-content-digest'), blobDigest);
      assert.equal(answer.headers.get('content-length'), String(blob.length));
      assert.equal(answer.body.length, 0);
    });

    it('answers 404 BLOB_UNKNOWN for an unknown blob, and for a blob of another repository', async () => {
      const other = await r.pushBlob('pull/other', 'only in other');
      for (const digest of [sha256Of('never pushed'), other]) {
        const get = await r.request('GET', `/v2/pull/app/blobs/${digest}`);
        assert.equal(get.status, 404);
        assert.equal(get.errorCode(), 'BLOB_UNKNOWN');
        assert.equal((await r.request('HEAD', `/v2/pull/app/blobs/${digest}`)).status, 404);
      }
    });

    it('answers 400 DIGEST_INVALID for a malformed digest or an unsupported algorithm', async () => {
      for (const digest of ['sha256:xyz', 'sha256:ABCDEF', 'md5:d41d8cd98f00b204e9800998ecf8427e']) {
        const answer = await r.request('GET', `/v2/pull/app/blobs/${digest}`);
        assert.equal(answer.status, 400, digest);
        assert.equal(answer.errorCode(), 'DIGEST_INVALID', digest);
      }
    });

    it('supports Range (RFC 9110): 206 with Content-Range for bounded, open and suffix ranges', async () => {
      const cases: [string, number, number][] = [
        ['bytes=0-4', 0, 4],
        ['bytes=5-', 5, blob.length - 1],
        ['bytes=-3', blob.length - 3, blob.length - 1],
        ['bytes=10-1000', 10, blob.length - 1],
      ];
      for (const [range, start, end] of cases) {
        const answer = await r.request('GET', `/v2/pull/app/blobs/${blobDigest}`, { headers: { range } });
        assert.equal(answer.status, 206, range);
        assert.equal(answer.headers.get('content-range'), `bytes ${start}-${end}/${blob.length}`, range);
        assert.equal(answer.headers.get('content-length'), String(end - start + 1), range);
        assert.ok(answer.body.equals(blob.subarray(start, end + 1)), range);
      }
      const head = await r.request('HEAD', `/v2/pull/app/blobs/${blobDigest}`);
      assert.equal(head.headers.get('accept-ranges'), 'bytes');
    });

    it('survives clients that hang up mid-download, closing the blob file each time', async () => {
      const large = Buffer.alloc(16 << 20, 3);
      const digest = await r.pushBlob('pull/large', large);
      const pid = r.process.child.pid;
      const openFds = async () => (await readdir(`/proc/${pid}/fd`)).length;
      const before = await openFds();
      for (let i = 0; i < 5; i++) {
        const controller = new AbortController();
        const response = await fetch(`${r.base}/v2/pull/large/blobs/${digest}`, {
          signal: controller.signal,
        });
        const reader = response.body?.getReader();
        await reader?.read();
        controller.abort();
        await reader?.cancel().catch(() => {});
      }
      const whole = await r.request('GET', `/v2/pull/large/blobs/${digest}`);
      assert.equal(whole.status, 200);
      assert.equal(sha256Of(whole.body), digest);
      let after = await openFds();
      for (let i = 0; i < 20 && after > before; i++) {
        await sleep(100);
        after = await openFds();
      }
      assert.ok(after <= before, `open descriptors went from ${before} to ${after}`);
    });

    it('counts blob downloads in /metrics by route and status', async () => {
      await r.request('GET', `/v2/pull/app/blobs/${blobDigest}`);
      const metrics = (await r.request('GET', '/metrics')).body.toString();
      assert.match(
        metrics,
        /berth_registry_http_requests_total\{route="\/v2\/:name\/blobs\/:digest",method="GET",status="200"\} [1-9]/,
      );
    });

    it('answers 416 with Content-Range: bytes */size for an unsatisfiable range', async () => {
      for (const range of [`bytes=${blob.length}-`, 'bytes=7-3', 'bytes=abc']) {
        const answer = await r.request('GET', `/v2/pull/app/blobs/${blobDigest}`, { headers: { range } });
        assert.equal(answer.status, 416, range);
        assert.equal(answer.headers.get('content-range'), `bytes */${blob.length}`, range);
      }
    });
  });

  it('answers errors as {"errors":[{code,message,detail}]} with upper-case codes', async () => {
    const answer = await r.request('GET', `/v2/pull/app/blobs/${sha256Of('x')}`);
    const body = answer.json<{ errors: { code: string; message: string }[] }>();
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0);
    for (const error of body.errors) {
      assert.match(error.code, /^[A-Z_]+$/);
      assert.equal(typeof error.message, 'string');
    }
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  });
});
