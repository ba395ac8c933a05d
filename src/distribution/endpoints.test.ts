import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER_HUB_ENDPOINT, RegistryHosts, type RegistrySettings } from './endpoints.js';

describe('registry endpoints', () => {
  let certsDir: string;
  before(async () => {
    certsDir = await mkdtemp(join(tmpdir(), 'berth-certs-d-'));
  });
  after(async () => {
    await rm(certsDir, { recursive: true, force: true });
  });
  const hosts = (settings: Partial<RegistrySettings>) =>
    new RegistryHosts(() => ({ mirrors: [], insecureRegistries: [], certsDir, ...settings }));

  it('tries docker.io mirrors in order, then Docker Hub; pushes skip the mirrors', async () => {
    const registry = hosts({ mirrors: ['http://10.1.2.3:5000/', 'https://mirror.example/'] });
    const pull = await registry.endpoints('docker.io', { forPull: true });
    assert.deepEqual(
      pull.map((e) => [e.url.href, e.mirror]),
      [
        ['http://10.1.2.3:5000/', true],
        ['https://mirror.example/', true],
        [DOCKER_HUB_ENDPOINT, false],
      ],
    );
    const push = await registry.endpoints('docker.io', { forPull: false });
    assert.deepEqual(
      push.map((e) => e.url.href),
      [DOCKER_HUB_ENDPOINT],
    );
  });

  it('treats loopback, listed hosts and addresses in listed CIDRs as insecure: HTTPS unverified, then HTTP', async () => {
    const registry = hosts({ insecureRegistries: ['r.example:5000', '10.9.0.0/16'] });
    for (const name of ['127.0.0.1:5000', 'r.example:5000', '10.9.3.4', '[::1]:5000']) {
      const endpoints = await registry.endpoints(name, { forPull: true });
      assert.deepEqual(
        endpoints.map((e) => e.url.protocol),
        ['https:', 'http:'],
        name,
      );
      assert.equal(endpoints[0]?.tls?.rejectUnauthorized, false, name);
    }
    const secure = await registry.endpoints('10.8.3.4:443', { forPull: true });
    assert.deepEqual(
      secure.map((e) => [e.url.href, e.insecure]),
      [['https://10.8.3.4/', false]],
    );
  });

  it('takes the CA and client certificate from certs.d/HOST:PORT', async () => {
    const dir = join(certsDir, 'secure.example:5443');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ca.crt'), 'CA');
    await writeFile(join(dir, 'client.cert'), 'CERT');
    await writeFile(join(dir, 'client.key'), 'KEY');
    const [endpoint] = await hosts({}).endpoints('secure.example:5443', { forPull: true });
    assert.equal(endpoint?.tls?.ca?.at(-1)?.toString(), 'CA');
    assert.equal(endpoint?.tls?.cert?.toString(), 'CERT');
    assert.equal(endpoint?.tls?.key?.toString(), 'KEY');
    assert.equal(endpoint?.tls?.rejectUnauthorized, undefined);
  });
});
