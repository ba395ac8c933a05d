import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DistributionProcess, startDistribution } from '../registry/testing/distribution.js';
import type { RegistryProcess } from '../registry/testing/process.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import {
  adminApi,
  pushBusybox,
  skopeo,
  skopeoAndDistributionSkipReason,
  startGovernedRegistry,
} from '../testing/governed-registry.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const ADMIN_PASSWORD = 'Proxy-admin-1';
const missing = fixturesMissing || skopeoAndDistributionSkipReason('to act as the upstream');

describe('berth-registry proxy cache (upstream: CNCF Distribution)', { skip: missing }, () => {
  let dir: string;
  let upstream: DistributionProcess;
  let server: RegistryProcess;
  let peer: PeerDockerd | undefined;

  const admin = adminApi(() => server.address, ADMIN_PASSWORD);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-proxy-'));
    upstream = await startDistribution();
    const seed = await pushBusybox(`docker://${upstream.address}/library/busybox:latest`);
    assert.equal(seed.code, 0, seed.stderr);
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
  });
  after(async () => {
    await peer?.stop();
    await server?.stop();
    await upstream?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a proxy_cache that is not an http(s) URL, naming the field', async () => {
    const response = await admin('POST', '/api/v2.0/projects', {
      project_name: 'bad',
      public: true,
      proxy_cache: { url: 'file:///etc' },
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /proxy_cache\.url/);
  });

  it('pulls through on first pull, then serves from the cache with the upstream stopped', async () => {
    const created = await admin('POST', '/api/v2.0/projects', {
      project_name: 'hub',
      public: true,
      proxy_cache: { url: `http://${upstream.address}` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body['proxy_cache'] as { url: string }).url, `http://${upstream.address}`);

    const first = await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${server.address}/hub/library/busybox:latest`,
      `oci:${join(dir, 'first')}:busybox`,
    ]);
    assert.equal(first.code, 0, first.stderr);

    await upstream.stop();
    const second = await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${server.address}/hub/library/busybox:latest`,
      `oci:${join(dir, 'second')}:busybox`,
    ]);
    assert.equal(second.code, 0, second.stderr);
    // An image the upstream never had is still unknown.
    const absent = await skopeo([
      'inspect',
      '--tls-verify=false',
      `docker://${server.address}/hub/library/nothing:1`,
    ]);
    assert.notEqual(absent.code, 0);
    await upstream.restart();

    const logs = await admin('GET', '/api/v2.0/audit-logs?project=hub&operation=pull');
    const entries = (logs.body['entries'] as { resource: string; result: string }[]).filter(
      (e) => e.result === 'success',
    );
    assert.ok(
      entries.some((e) => e.resource.startsWith('hub/library/busybox')),
      JSON.stringify(logs.body),
    );
  });

  it('refuses pushes to a proxy-cache project', async () => {
    const push = await pushBusybox(`docker://${server.address}/hub/mine:1`, `admin:${ADMIN_PASSWORD}`);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /proxy cache/);
  });

  it('works as a registry-mirrors target for dockerd: library/busybox pulls through', {
    skip: !dockerdBinary() || !dockerCli() ? 'dockerd or the docker CLI is not installed' : false,
  }, async () => {
    // The library project mirrors the upstream's library/ namespace, as a Docker Hub mirror does.
    const set = await admin('PUT', '/api/v2.0/projects/library', {
      proxy_cache: { url: `http://${upstream.address}`, namespace: 'library' },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    peer = await startPeerDockerd({ daemonConfig: { 'registry-mirrors': [`http://${server.address}`] } });
    const pull = await runCommand(dockerCli()!, ['-H', peer.host, 'pull', 'busybox:latest'], {
      env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') },
      timeoutMs: 180_000,
    });
    assert.equal(pull.code, 0, pull.stderr);
    const tags = await fetch(`http://${server.address}/v2/library/busybox/tags/list`);
    // Anonymous tag listing needs a token; the audit log shows what the mirror served.
    await tags.body?.cancel();
    const logs = await admin('GET', '/api/v2.0/audit-logs?project=library&operation=pull');
    const entries = logs.body['entries'] as { resource: string; result: string }[];
    assert.ok(
      entries.some((e) => e.resource.startsWith('library/busybox') && e.result === 'success'),
      JSON.stringify(logs.body),
    );
  });
});
