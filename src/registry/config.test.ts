import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from './config.js';
import { rewriteRegistryUrl } from './http/url-rewrite.js';

describe('registry configuration', () => {
  it('applies defaults, then the file, then flags', () => {
    const defaults = buildConfig({});
    assert.equal(defaults.addr, '127.0.0.1:5000');
    assert.equal(defaults.auth.mode, 'none');
    assert.equal(defaults.gc.gracePeriodSeconds, 3600);
    const config = buildConfig(
      {
        addr: '0.0.0.0:443',
        root: '/srv/reg',
        auth: { mode: 'htpasswd', htpasswd: '/etc/htpasswd', token: { expiresIn: '10m' } },
        gc: { interval: '30m', gracePeriod: '2h', deleteUntagged: true },
        limits: { manifestMaxBytes: '8MiB' },
      },
      { addr: '127.0.0.1:6000', auth: 'htpasswd' },
    );
    assert.equal(config.addr, '127.0.0.1:6000');
    assert.equal(config.database.path, '/srv/reg/registry.db');
    assert.equal(config.auth.token.expiresInSeconds, 600);
    assert.equal(config.gc.intervalSeconds, 1800);
    assert.equal(config.gc.gracePeriodSeconds, 7200);
    assert.equal(config.limits.manifestMaxBytes, 8 * 1024 * 1024);
    assert.equal(config.limits.blobMaxBytes, 0, 'no blob size limit unless configured');
  });

  it('reads a PostgreSQL database URL and a blob size limit', () => {
    const config = buildConfig({
      database: { url: 'postgres://registry@db:5432/registry' },
      limits: { blobMaxBytes: '2GiB' },
    });
    assert.equal(config.database.url, 'postgres://registry@db:5432/registry');
    assert.equal(config.limits.blobMaxBytes, 2 * 1024 ** 3);
    assert.throws(
      () => buildConfig({ database: { url: 'mysql://db/registry' } }),
      /database.url: must be a PostgreSQL URL/,
    );
  });

  it('rejects unknown keys and bad values', () => {
    assert.throws(() => buildConfig({ adr: 'x' }), /unknown configuration key adr/);
    assert.throws(() => buildConfig({ gc: { interval: 'soon' } }), /gc.interval/);
    assert.throws(() => buildConfig({ auth: { mode: 'htpasswd' } }), /auth.htpasswd/);
    assert.throws(() => buildConfig({ tls: { cert: 'c' } }), /both cert and key/);
  });
});

describe('repository URL rewriting', () => {
  it('encodes nested names into one segment and leaves the rest alone', () => {
    assert.equal(rewriteRegistryUrl('/v2/a/b/c/blobs/uploads/?x=1'), '/v2/a%2Fb%2Fc/blobs/uploads/?x=1');
    assert.equal(rewriteRegistryUrl('/v2/a/b/manifests/latest'), '/v2/a%2Fb/manifests/latest');
    assert.equal(rewriteRegistryUrl('/v2/blobs/blobs/blobs/x'), '/v2/blobs%2Fblobs/blobs/x');
    assert.equal(rewriteRegistryUrl('/v2/_catalog?n=1'), '/v2/_catalog?n=1');
    assert.equal(rewriteRegistryUrl('/healthz'), '/healthz');
  });
});
