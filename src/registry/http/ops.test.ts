import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRegistry, errorCode, pushImage, type TestRegistry } from '../testing/harness.js';

describe('base, health, metrics and admin routes', () => {
  let t: TestRegistry;
  before(async () => {
    t = await createTestRegistry();
  });
  after(() => t.close());

  it('answers GET and HEAD /v2/ with the API version header', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await t.app.inject({ method, url: '/v2/' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['docker-distribution-api-version'], 'registry/2.0');
    }
  });

  it('reports health and Prometheus metrics', async () => {
    await pushImage(t.app, 'metrics/app', 'v1');
    assert.deepEqual((await t.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    const text = (await t.app.inject({ url: '/metrics' })).body;
    assert.match(
      text,
      /berth_registry_http_requests_total\{route="\/v2\/:name\/manifests\/:reference",method="PUT",status="201"\} 1/,
    );
    assert.match(text, /berth_registry_storage_blobs 2/);
    assert.match(text, /berth_registry_http_request_bytes_total [1-9]/);
    assert.match(text, /berth_registry_upload_sessions 0/);
  });

  it('runs GC on POST /admin/gc and counts the run', async () => {
    const report = await t.app.inject({ method: 'POST', url: '/admin/gc?dryRun=true' });
    assert.equal(report.statusCode, 200);
    assert.equal(report.json().dryRun, true);
  });

  it('answers unknown routes with a distribution error body', async () => {
    const response = await t.app.inject({ url: '/v2/x/unknown/thing' });
    assert.equal(response.statusCode, 404);
    assert.equal(errorCode(response), 'UNSUPPORTED');
  });
});
