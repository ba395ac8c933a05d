import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rootCertificates } from 'node:tls';
import { deferredCaSet, restoreExtraCaCerts } from './extra-ca.js';

test('NODE_EXTRA_CA_CERTS that bin/berth moved aside is restored for children and added to TLS roots', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-extra-ca-'));
  const saved = process.env['NODE_EXTRA_CA_CERTS'];
  try {
    assert.equal(deferredCaSet(rootCertificates), undefined, 'nothing deferred: Node defaults apply');
    const file = join(dir, 'extra.pem');
    await writeFile(file, '-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n');
    delete process.env['NODE_EXTRA_CA_CERTS'];
    process.env['BERTH_DEFERRED_NODE_EXTRA_CA_CERTS'] = file;
    restoreExtraCaCerts();
    assert.equal(process.env['NODE_EXTRA_CA_CERTS'], file);
    assert.equal(process.env['BERTH_DEFERRED_NODE_EXTRA_CA_CERTS'], undefined);
    const set = deferredCaSet(rootCertificates);
    assert.equal(set?.length, rootCertificates.length + 1);
    assert.match(String(set?.at(-1)), /extra/);
  } finally {
    if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
    else process.env['NODE_EXTRA_CA_CERTS'] = saved;
    await rm(dir, { recursive: true, force: true });
  }
});
