import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { silentLogger } from '../core/logger.js';
import { defaultDaemonConfig } from '../engine/config/defaults.js';
import { SystemService } from '../engine/system.js';
import { EventBus } from '../events/bus.js';
import type { HttpApp } from './http/app.js';
import { inject } from './http/inject.js';
import { createApiServer } from './server.js';

function makeSystem(events: EventBus): SystemService {
  return new SystemService({
    engineId: 'test-engine',
    config: defaultDaemonConfig(),
    build: { version: '9.9.9', gitCommit: 'abc1234', buildTime: '2026-01-02T03:04:05Z' },
    host: {
      hostname: 'testhost',
      kernelVersion: '6.1.0',
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      osVersion: '12',
      architecture: 'x86_64',
      ncpu: 2,
      memTotal: 1024,
      cgroup: { version: '1', hybrid: true, controllers: new Set(['memory', 'cpu', 'pids']) },
    },
    prepared: { ipForward: true, bridgeNfIptables: true, bridgeNfIp6tables: false, warnings: [] },
    runtimes: {
      runtimes: [
        {
          name: 'runc',
          path: 'runc',
          runtimeArgs: [],
          version: '1.1.5',
          commit: 'c',
          unusableReason: undefined,
        },
      ],
      defaultRuntime: 'runc',
      reason: 'test',
    },
    backingFs: 'extfs',
    events,
    conmonVersion: '2.1.6',
  });
}

describe('Engine API server (inject)', () => {
  let app: HttpApp;
  const events = new EventBus();
  before(async () => {
    app = (await createApiServer({ system: makeSystem(events), log: silentLogger })).app;
  });

  it('HEAD /_ping answers with the headers the Docker CLI reads and no body', async () => {
    const res = await inject(app, { method: 'HEAD', url: '/_ping' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['api-version'], '1.45');
    assert.equal(res.headers.ostype, 'linux');
    assert.equal(res.headers['docker-experimental'], 'false');
    assert.equal(res.headers['builder-version'], '1');
    assert.equal(res.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(res.headers.pragma, 'no-cache');
    assert.equal(res.headers['content-length'], '0');
    assert.equal(res.body, '');
  });

  it('GET /_ping answers OK on versioned and unversioned paths', async () => {
    for (const url of ['/_ping', '/v1.24/_ping', '/v1.45/_ping']) {
      const res = await inject(app, { method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, 'OK');
    }
  });

  it('GET /version carries the engine, API and component versions', async () => {
    const res = await inject(app, { method: 'GET', url: '/v1.41/version' });
    const body = res.json();
    assert.equal(body.Version, '9.9.9');
    assert.equal(body.ApiVersion, '1.45');
    assert.equal(body.MinAPIVersion, '1.24');
    assert.equal(body.Components[0].Name, 'Engine');
    assert.deepEqual(
      body.Components.map((c: { Name: string }) => c.Name),
      ['Engine', 'runc', 'conmon'],
    );
  });

  it('refuses versions outside 1.24–1.45 with dockerd messages and an exact JSON content type', async () => {
    const tooNew = await inject(app, { method: 'GET', url: '/v1.99/info' });
    assert.equal(tooNew.statusCode, 400);
    assert.equal(tooNew.headers['content-type'], 'application/json');
    assert.deepEqual(tooNew.json(), {
      message: 'client version 1.99 is too new. Maximum supported API version is 1.45',
    });
    const tooOld = await inject(app, { method: 'GET', url: '/v1.12/info' });
    assert.equal(tooOld.statusCode, 400);
    assert.match(
      tooOld.json().message,
      /^client version 1\.12 is too old\. Minimum supported API version is 1\.24/,
    );
  });

  it('an unknown path is 404 page not found', async () => {
    const res = await inject(app, { method: 'GET', url: '/v1.45/no/such/thing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json(), { message: 'page not found' });
  });

  it('a malformed JSON body is a 400 with a message, not a crash', async () => {
    const res = await inject(app, {
      method: 'POST',
      url: '/v1.45/info',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken":',
    });
    assert.ok(res.statusCode === 400 || res.statusCode === 404, String(res.statusCode));
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(typeof res.json().message, 'string');
  });

  it('GET /info reports counts, drivers, registry config and runtimes', async () => {
    const info = (await inject(app, { method: 'GET', url: '/info' })).json();
    assert.equal(info.Containers, 0);
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.CgroupVersion, '1');
    assert.equal(info.DefaultRuntime, 'runc');
    assert.deepEqual(Object.keys(info.Runtimes), ['runc']);
    assert.deepEqual(info.RegistryConfig.InsecureRegistryCIDRs, ['::1/128', '127.0.0.0/8']);
    assert.equal(info.Swarm.LocalNodeState, 'inactive');
    assert.equal(info.Name, 'testhost');
  });

  it('GET /events replays buffered events up to `until`, filtered, then ends', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    events.publish({
      type: 'container',
      action: 'start',
      id: 'c1',
      attributes: { image: 'bb', name: 'one' },
    });
    events.publish({ type: 'image', action: 'tag', id: 'sha256:aa', attributes: { name: 'bb:latest' } });
    const until = Math.floor(Date.now() / 1000) - 0;
    const filters = encodeURIComponent(JSON.stringify({ type: { container: true } }));
    const res = await inject(app, {
      method: 'GET',
      url: `/v1.45/events?since=${since}&until=${until}.999999999&filters=${filters}`,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const lines = res.body.trim().split('\n');
    assert.equal(lines.length, 1);
    const event = JSON.parse(lines[0]!);
    assert.equal(event.Type, 'container');
    assert.equal(event.status, 'start');
    assert.equal(event.from, 'bb');
    assert.match(lines[0]!, /"timeNano":\d{19}\}/);
  });
});
