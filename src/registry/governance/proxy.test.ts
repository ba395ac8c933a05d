import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { buildConfig } from '../config.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';
import { imageManifest } from '../testing/harness.js';

const ADMIN = `Basic ${Buffer.from('admin:Proxy-unit-1').toString('base64')}`;

// A registry upstream that lies: the layer it serves is not the bytes its digest names.
describe('berth-registry proxy cache with a lying upstream', () => {
  let root: string;
  let server: RunningRegistry;
  let upstream: Server;
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = randomBytes(64 * 1024);
  const configDigest = sha256Of(config);
  const layerDigest = sha256Of(layer);
  const manifest = imageManifest({ digest: configDigest, size: config.length }, [
    { digest: layerDigest, size: layer.length },
  ]);
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];

  before(async () => {
    upstream = createServer((request, response) => {
      const path = request.url ?? '';
      if (path === '/v2/') return response.writeHead(200).end('{}');
      if (path.endsWith('/manifests/1') || path.endsWith(`/manifests/${sha256Of(manifest)}`)) {
        response.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': sha256Of(manifest),
          'content-length': manifest.length,
        });
        return response.end(request.method === 'HEAD' ? undefined : manifest);
      }
      if (path.endsWith(`/blobs/${configDigest}`)) {
        return response.writeHead(200, { 'content-length': config.length }).end(config);
      }
      if (path.endsWith(`/blobs/${layerDigest}`)) {
        const lie = randomBytes(layer.length);
        return response.writeHead(200, { 'content-length': lie.length }).end(lie);
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    root = await mkdtemp(join(tmpdir(), 'berth-registry-proxy-unit-'));
    process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = 'Proxy-unit-1';
    server = await startRegistryServer(
      buildConfig({ auth: { mode: 'token' }, gc: { interval: 0 } }, { addr: '127.0.0.1:0', root }),
      silentLogger,
    );
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/v2.0/projects',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      payload: JSON.stringify({
        project_name: 'hub',
        public: true,
        proxy_cache: { url: `http://127.0.0.1:${port}` },
      }),
    });
    assert.equal(created.statusCode, 201, created.body);
  });
  after(async () => {
    await server?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
    if (root) await rm(root, { recursive: true, force: true });
  });

  const pullToken = async () => {
    const response = await fetch(`http://${server.address}/token?scope=repository:hub/lib/x:pull`);
    return `Bearer ${((await response.json()) as { token: string }).token}`;
  };

  it('caches verified blobs and cuts the client off from bytes that fail verification, caching nothing', async () => {
    const authorization = await pullToken();
    const get = (path: string, method = 'GET') =>
      fetch(`http://${server.address}/v2/hub/lib/x/${path}`, { method, headers: { authorization } });

    // Asked first (no manifest pull has started a background fetch), the layer is streamed as it
    // arrives: a 200 with the promised length, then the connection is cut before the end.
    const bad = await get(`blobs/${layerDigest}`);
    assert.equal(bad.status, 200);
    await assert.rejects(bad.arrayBuffer());

    const good = await get(`blobs/${configDigest}`);
    assert.equal(good.status, 200);
    assert.deepEqual(Buffer.from(await good.arrayBuffer()), config);

    // The manifest is served as the upstream has it (its layer cannot be cached, so it is not stored).
    const pulled = await get('manifests/1');
    assert.equal(pulled.status, 200);
    assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), manifest);

    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    assert.equal((await get(`blobs/${configDigest}`, 'HEAD')).status, 200, 'the verified blob is cached');
    assert.equal((await get(`blobs/${layerDigest}`, 'HEAD')).status, 404, 'the lie is not');
  });
});
