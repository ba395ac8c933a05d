/**
 * PostgreSQL as the metadata store (`database.url`), through real processes:
 * two berth-registry replicas share one PostgreSQL database and one blob
 * root; what is pushed through one is pulled, listed and deleted through the
 * other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OciMediaType } from '../../core/descriptor.js';
import { sha256Of } from '../../core/digest.js';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { type ConformanceRegistry, startConformanceRegistry } from './client.js';

describe('berth-registry on PostgreSQL, two replicas', { skip: postgresSkipReason() }, () => {
  let postgres: TestPostgres | undefined;
  let first: ConformanceRegistry | undefined;
  let second: ConformanceRegistry | undefined;
  before(async () => {
    postgres = await startTestPostgres();
    if (!postgres) throw new Error('PostgreSQL did not start');
    first = await startConformanceRegistry(`database:\n  url: ${postgres.url}\n`);
    // The second replica serves the first one's blob root.
    second = await startConformanceRegistry(`database:\n  url: ${postgres.url}\nroot: ${first.root}/data\n`);
  });
  after(async () => {
    await second?.stop();
    await first?.stop();
    await postgres?.stop();
  });

  it('pushes through one replica and pulls, lists and deletes through the other', async () => {
    const a = first as ConformanceRegistry;
    const b = second as ConformanceRegistry;
    const image = await a.pushImage('pg/app', 'v1');
    const get = await b.request('GET', '/v2/pg/app/manifests/v1', {
      headers: { accept: OciMediaType.manifest },
    });
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(image.bytes));
    const manifest = JSON.parse(image.bytes.toString()) as { layers: { digest: string }[] };
    const layer = manifest.layers[0]?.digest ?? '';
    const blob = await b.request('GET', `/v2/pg/app/blobs/${layer}`);
    assert.equal(blob.status, 200);
    assert.equal(sha256Of(blob.body), layer);
    assert.deepEqual((await b.request('GET', '/v2/pg/app/tags/list')).json(), {
      name: 'pg/app',
      tags: ['v1'],
    });
    assert.deepEqual((await b.request('GET', '/v2/_catalog')).json(), { repositories: ['pg/app'] });
    assert.equal((await b.request('DELETE', `/v2/pg/app/manifests/${image.digest}`)).status, 202);
    assert.equal((await a.request('GET', '/v2/pg/app/manifests/v1')).status, 404);
  });

  it('refuses a manifest whose blobs are missing, on PostgreSQL too', async () => {
    const a = first as ConformanceRegistry;
    const config = await a.pushBlob('pg/lacking', '{}');
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OciMediaType.manifest,
        config: { mediaType: OciMediaType.config, digest: config, size: 2 },
        layers: [{ mediaType: OciMediaType.layerGzip, digest: sha256Of('absent'), size: 6 }],
      }),
    );
    const put = await a.putManifest('pg/lacking', 'v1', body);
    assert.equal(put.status, 400);
    assert.equal(put.errorCode(), 'MANIFEST_BLOB_UNKNOWN');
  });
});
