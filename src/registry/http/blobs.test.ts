import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { createTestRegistry, errorCode, pushBlob, type TestRegistry } from '../testing/harness.js';

describe('blobs and uploads over HTTP', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry();
  });
  after(() => t.close());

  it('pushes monolithically and serves GET, HEAD and ranges with digest headers', async () => {
    const digest = await pushBlob(t.app, 'a/b/c', 'hello world');
    const head = await t.app.inject({ method: 'HEAD', url: `/v2/a/b/c/blobs/${digest}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.headers['docker-content-digest'], digest);
    assert.equal(head.headers['docker-distribution-api-version'], 'registry/2.0');
    const get = await t.app.inject({ method: 'GET', url: `/v2/a/b/c/blobs/${digest}` });
    assert.equal(get.body, 'hello world');
    const range = await t.app.inject({ url: `/v2/a/b/c/blobs/${digest}`, headers: { range: 'bytes=6-' } });
    assert.equal(range.statusCode, 206);
    assert.equal(range.body, 'world');
    assert.equal(range.headers['content-range'], 'bytes 6-10/11');
    const suffix = await t.app.inject({ url: `/v2/a/b/c/blobs/${digest}`, headers: { range: 'bytes=-5' } });
    assert.equal(suffix.body, 'world');
    const bad = await t.app.inject({ url: `/v2/a/b/c/blobs/${digest}`, headers: { range: 'bytes=50-60' } });
    assert.equal(bad.statusCode, 416);
    assert.equal(bad.headers['content-range'], 'bytes */11');
  });

  it('keeps blobs readable only in repositories that have them', async () => {
    const digest = await pushBlob(t.app, 'owner', 'private bytes');
    const other = await t.app.inject({ method: 'GET', url: `/v2/other/blobs/${digest}` });
    assert.equal(other.statusCode, 404);
    assert.equal(errorCode(other), 'BLOB_UNKNOWN');
  });

  it('runs a chunked session: POST, PATCH with Content-Range, GET status, PUT with the last chunk', async () => {
    const open = await t.app.inject({ method: 'POST', url: '/v2/chunked/blobs/uploads/' });
    assert.equal(open.statusCode, 202);
    const location = String(open.headers.location);
    assert.match(location, /^\/v2\/chunked\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(open.headers.range, '0-0');
    assert.ok(open.headers['docker-upload-uuid']);
    const octets = { 'content-type': 'application/octet-stream' };
    const first = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...octets, 'content-range': '0-4' },
      payload: 'hello',
    });
    assert.equal(first.statusCode, 202);
    assert.equal(first.headers.range, '0-4');
    const outOfOrder = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...octets, 'content-range': '9-12' },
      payload: 'abcd',
    });
    assert.equal(outOfOrder.statusCode, 416);
    const status = await t.app.inject({ method: 'GET', url: location });
    assert.equal(status.statusCode, 204);
    assert.equal(status.headers.range, '0-4');
    assert.equal(status.headers.location, location);
    const digest = sha256Of('hello world');
    const close = await t.app.inject({
      method: 'PUT',
      url: `${location}?digest=${digest}`,
      headers: { ...octets, 'content-range': '5-10' },
      payload: ' world',
    });
    assert.equal(close.statusCode, 201);
    assert.equal(close.headers.location, `/v2/chunked/blobs/${digest}`);
    assert.equal(close.headers['docker-content-digest'], digest);
    const gone = await t.app.inject({ method: 'GET', url: location });
    assert.equal(errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('streams PATCH without Content-Range and closes with an empty PUT', async () => {
    const open = await t.app.inject({ method: 'POST', url: '/v2/stream/blobs/uploads' });
    const location = String(open.headers.location);
    const octets = { 'content-type': 'application/octet-stream' };
    await t.app.inject({ method: 'PATCH', url: location, headers: octets, payload: 'abc' });
    await t.app.inject({ method: 'PATCH', url: location, headers: octets, payload: 'def' });
    const close = await t.app.inject({ method: 'PUT', url: `${location}?digest=${sha256Of('abcdef')}` });
    assert.equal(close.statusCode, 201);
  });

  it('refuses a wrong digest with DIGEST_INVALID and keeps nothing', async () => {
    const wrong = sha256Of('something else');
    const response = await t.app.inject({
      method: 'POST',
      url: `/v2/d/blobs/uploads/?digest=${wrong}`,
      headers: { 'content-type': 'application/octet-stream' },
      payload: 'actual content',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'DIGEST_INVALID');
    assert.equal((await t.app.inject({ method: 'HEAD', url: `/v2/d/blobs/${wrong}` })).statusCode, 404);
    assert.equal(await t.registry.uploadSessions(), 0);
  });

  it('answers bad digests, names and sessions with the spec codes', async () => {
    const cases: [string, string, string, number, string][] = [
      ['GET', '/v2/x/blobs/sha256:abc', '', 400, 'DIGEST_INVALID'],
      ['GET', '/v2/UPPER/blobs/sha256:abc', '', 400, 'NAME_INVALID'],
      ['GET', '/v2/x/blobs/uploads/00000000-0000-4000-8000-000000000000', '', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['PATCH', '/v2/x/blobs/uploads/not-a-uuid', 'x', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['DELETE', '/v2/x/blobs/uploads/00000000-0000-4000-8000-000000000000', '', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['DELETE', `/v2/x/blobs/${sha256Of('nope')}`, '', 404, 'BLOB_UNKNOWN'],
      ['PUT', '/v2/x/blobs/uploads/00000000-0000-4000-8000-000000000000', '', 400, 'DIGEST_INVALID'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const response = await t.app.inject({
        method: method as 'GET',
        url,
        ...(payload ? { payload, headers: { 'content-type': 'application/octet-stream' } } : {}),
      });
      assert.equal(response.statusCode, status, `${method} ${url}`);
      assert.equal(errorCode(response), code, `${method} ${url}`);
    }
  });

  it('cancels a session with DELETE', async () => {
    const open = await t.app.inject({ method: 'POST', url: '/v2/cancel/blobs/uploads/' });
    const location = String(open.headers.location);
    assert.equal((await t.app.inject({ method: 'DELETE', url: location })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: location })).statusCode, 404);
  });

  it('mounts across repositories, and falls back to a session when the source lacks the blob', async () => {
    const digest = await pushBlob(t.app, 'source/repo', 'shared layer');
    const mount = await t.app.inject({
      method: 'POST',
      url: `/v2/target/repo/blobs/uploads/?mount=${digest}&from=source/repo`,
    });
    assert.equal(mount.statusCode, 201);
    assert.equal(mount.headers.location, `/v2/target/repo/blobs/${digest}`);
    assert.equal(
      (await t.app.inject({ method: 'HEAD', url: `/v2/target/repo/blobs/${digest}` })).statusCode,
      200,
    );
    const fallback = await t.app.inject({
      method: 'POST',
      url: `/v2/target/repo/blobs/uploads/?mount=${sha256Of('absent')}&from=source/repo`,
    });
    assert.equal(fallback.statusCode, 202);
  });

  it('deletes a blob from one repository with 202', async () => {
    const digest = await pushBlob(t.app, 'del', 'to delete');
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/v2/del/blobs/${digest}` })).statusCode, 202);
    assert.equal((await t.app.inject({ method: 'HEAD', url: `/v2/del/blobs/${digest}` })).statusCode, 404);
  });
});
