import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HOST, resolveEndpoint } from './hosts.js';

describe('resolveEndpoint', () => {
  it('prefers -H, then BERTH_HOST, then DOCKER_HOST, then the default', () => {
    const env = { BERTH_HOST: 'unix:///b.sock', DOCKER_HOST: 'unix:///d.sock' };
    assert.equal(resolveEndpoint({ host: 'unix:///h.sock', env }).socketPath, '/h.sock');
    assert.equal(resolveEndpoint({ env }).socketPath, '/b.sock');
    assert.equal(resolveEndpoint({ env: { DOCKER_HOST: 'unix:///d.sock' } }).socketPath, '/d.sock');
    assert.equal(resolveEndpoint({ env: {} }).address, DEFAULT_HOST);
  });
  it('parses tcp hosts and turns TLS on with --tlsverify or DOCKER_TLS_VERIFY', () => {
    const plain = resolveEndpoint({ host: 'tcp://10.0.0.5:2375', env: {} });
    assert.deepEqual([plain.host, plain.port, plain.tls], ['10.0.0.5', 2375, undefined]);
    const env = { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' };
    const tls = resolveEndpoint({ host: 'tcp://[::1]:2376', env });
    assert.equal(tls.host, '::1');
    assert.deepEqual(tls.tls, {
      verify: true,
      caCert: '/certs/ca.pem',
      cert: '/certs/cert.pem',
      key: '/certs/key.pem',
    });
  });
  it('rejects an address it cannot parse', () => {
    assert.throws(() => resolveEndpoint({ host: 'ssh:/nope', env: {} }), /unable to parse docker host/);
  });
});
