/**
 * Limits and safety (issue 8, "Limits and safety"): body and manifest size
 * limits, repository-name validation, no path traversal through names,
 * digests or session ids, and expiry of idle upload sessions — against a real
 * berth-registry process with small limits.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Of } from '../../core/digest.js';
import { type ConformanceRegistry, ociManifest, startConformanceRegistry } from './client.js';

const octets = { 'content-type': 'application/octet-stream' };

describe('registry limits and safety', () => {
  let r: ConformanceRegistry;
  before(async () => {
    r = await startConformanceRegistry(
      ['limits:', '  manifestMaxBytes: 2KiB', '  blobMaxBytes: 1KiB', 'uploads:', '  expiry: 2s', ''].join(
        '\n',
      ),
    );
  });
  after(() => r?.stop());

  const uploadFiles = async () => readdir(join(r.root, 'data', 'uploads')).catch(() => [] as string[]);

  it('refuses a manifest above limits.manifestMaxBytes with 413 and stores nothing', async () => {
    const config = await r.pushBlob('limits/m', '{}');
    const small = ociManifest({ digest: config, size: 2 }, []);
    assert.equal((await r.putManifest('limits/m', 'small', small)).status, 201);
    const large = ociManifest({ digest: config, size: 2 }, [], { annotations: { p: 'x'.repeat(4096) } });
    const put = await r.putManifest('limits/m', 'large', large);
    assert.equal(put.status, 413);
    assert.equal((await r.request('GET', '/v2/limits/m/manifests/large')).status, 404);
  });

  it('refuses a blob above limits.blobMaxBytes with 413 SIZE_INVALID, in one piece or in chunks', async () => {
    const big = Buffer.alloc(1500, 7);
    const monolithic = await r.request('POST', `/v2/limits/b/blobs/uploads/?digest=${sha256Of(big)}`, {
      headers: octets,
      body: big,
    });
    assert.equal(monolithic.status, 413);
    assert.equal(monolithic.errorCode(), 'SIZE_INVALID');
    assert.equal((await r.request('HEAD', `/v2/limits/b/blobs/${sha256Of(big)}`)).status, 404);

    const started = await r.request('POST', '/v2/limits/b/blobs/uploads/');
    const location = new URL(started.headers.get('location') ?? '', r.base).pathname;
    const first = await r.request('PATCH', location, { headers: octets, body: big.subarray(0, 1000) });
    assert.equal(first.status, 202);
    const second = await r.request('PATCH', location, { headers: octets, body: big.subarray(1000) });
    assert.equal(second.status, 413);
    // The session keeps what it had before the refused chunk.
    const status = await r.request('GET', location);
    assert.equal(status.headers.get('range'), '0-999');
    assert.equal((await r.pushBlob('limits/b', Buffer.alloc(1024, 1))).startsWith('sha256:'), true);
  });

  it('refuses repository names outside the grammar with 400 NAME_INVALID', async () => {
    for (const name of ['Upper', 'a__-b', 'trailing-', `${'a'.repeat(256)}`, 'a/-b', 'a..b']) {
      const answer = await r.request('GET', `/v2/${name}/tags/list`);
      assert.equal(answer.status, 400, name);
      assert.equal(answer.errorCode(), 'NAME_INVALID', name);
    }
  });

  it('lets no name, digest or session id reach outside the registry root', async () => {
    const secretDigest = await r.pushBlob('limits/secret', 'secret');
    const attempts = [
      // Encoded dots and slashes survive the client's own URL normalisation.
      `/v2/%2e%2e/blobs/${secretDigest}`,
      `/v2/limits%2F..%2Fsecret/blobs/${secretDigest}`,
      `/v2/..%2Flimits%2Fsecret/blobs/${secretDigest}`,
      '/v2/limits/x/blobs/sha256:..%2F..%2F..%2Fregistry.db',
      `/v2/limits/x/blobs/sha256%3A${'.'.repeat(64)}`,
      '/v2/limits/x/blobs/uploads/..%2F..%2Fregistry.db',
      '/v2/limits/x/blobs/uploads/%2e%2e',
      '/v2/limits/x/manifests/..%2F..%2Fregistry.db',
    ];
    for (const path of attempts) {
      const answer = await r.request('GET', path);
      assert.ok([400, 404].includes(answer.status), `${path} answered ${answer.status}`);
      assert.ok(!answer.body.includes('SQLite format'), path);
      assert.ok(!answer.body.equals(Buffer.from('secret')), path);
    }
    const write = await r.request('PATCH', '/v2/limits/x/blobs/uploads/..%2F..%2Fescape', {
      headers: octets,
      body: 'x',
    });
    assert.ok([400, 404].includes(write.status));
  });

  it('does not expire a session while a slow chunk is still arriving', async () => {
    const started = await r.request('POST', '/v2/limits/slow/blobs/uploads/');
    const location = new URL(started.headers.get('location') ?? '', r.base).pathname;
    const parts = ['slow ', 'chunk ', 'over ', 'four ', 'seconds'];
    // Each piece arrives 0.8 s after the last: the chunk outlives the 2 s expiry.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${r.base}${location}`, { method: 'PATCH', headers: octets }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      const next = (i: number) => {
        if (i === parts.length) {
          req.end();
          return;
        }
        req.write(parts[i]);
        setTimeout(() => next(i + 1), 800);
      };
      next(0);
    });
    assert.equal(status, 202);
    const whole = Buffer.from(parts.join(''));
    const put = await r.request('PUT', `${location}?digest=${sha256Of(whole)}`);
    assert.equal(put.status, 201, 'the session and its data survived the slow chunk');
    assert.ok((await r.request('GET', `/v2/limits/slow/blobs/${sha256Of(whole)}`)).body.equals(whole));
  });

  it('expires idle upload sessions and removes their data', async () => {
    const started = await r.request('POST', '/v2/limits/idle/blobs/uploads/');
    const location = new URL(started.headers.get('location') ?? '', r.base).pathname;
    assert.equal((await r.request('PATCH', location, { headers: octets, body: 'partial' })).status, 202);
    const id = location.split('/').at(-1) ?? '';
    assert.ok((await uploadFiles()).includes(id));
    let status = 0;
    for (let i = 0; i < 40 && status !== 404; i++) {
      await sleep(250);
      status = (await r.request('GET', location)).status;
    }
    assert.equal(status, 404, 'the session expired');
    assert.ok(!(await uploadFiles()).includes(id), 'its data is gone');
  });
});
