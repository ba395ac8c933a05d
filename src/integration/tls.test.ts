import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { bin, dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const run = promisify(execFile);
const docker = dockerCli();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate. */
async function makeCerts(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=berth-test-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  );
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who}`,
      '-keyout',
      `${who}-key.pem`,
      '-out',
      `${who}.csr`,
    );
    await ssl(
      ...['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial'],
      ...['-days', '1', '-extfile', `${who}.ext`, '-out', `${who}.pem`],
    );
  }
}

describe('berthd on TCP with mutual TLS (--tlsverify)', () => {
  let dir: string;
  let daemon: TestDaemon;
  let host: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    await makeCerts(dir);
    host = `tcp://127.0.0.1:${await freePort()}`;
    daemon = await startDaemon({
      args: ['-H', host, '--tlsverify', '--tlscacert', join(dir, 'ca.pem')].concat([
        '--tlscert',
        join(dir, 'server.pem'),
        '--tlskey',
        join(dir, 'server-key.pem'),
      ]),
    });
  });
  after(async () => {
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tlsArgs = () =>
    ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'client.pem')].concat(
      '--tlskey',
      join(dir, 'client-key.pem'),
    );

  it('berth with a client certificate talks to it', async () => {
    const r = await runCommand(bin('berth'), [
      ...tlsArgs(),
      '-H',
      host,
      'version',
      '--format',
      '{{.Server.ApiVersion}}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1.45\n');
  });

  it('the Docker CLI with a client certificate talks to it', {
    skip: docker ? false : 'no docker CLI',
  }, async () => {
    const r = await runCommand(docker!, [...tlsArgs(), '-H', host, 'info', '--format', '{{.Driver}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'overlay2\n');
  });

  it('a client without a certificate is refused', async () => {
    const r = await runCommand(bin('berth'), [
      '--tlsverify',
      '--tlscacert',
      join(dir, 'ca.pem'),
      '-H',
      host,
      'version',
    ]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /Server:/);
  });
});
