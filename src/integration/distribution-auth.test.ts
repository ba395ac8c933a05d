import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { bin, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const BUSYBOX = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

/** A global IPv4 address of this host: not loopback, so not insecure by default. */
function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

describe('registry auth and TLS against berth-registry', { skip: fixturesMissing }, () => {
  let dir: string;
  let daemon: TestDaemon;
  const registries: RegistryProcess[] = [];
  const berth = (args: string[], input?: string) =>
    runCommand(process.execPath, [bin('berth'), ...args], {
      env: { ...process.env, DOCKER_HOST: daemon.host, BERTH_CONFIG: join(dir, 'client') },
      timeoutMs: 120_000,
      ...(input ? { input } : {}),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-distribution-auth-'));
    await writeFile(join(dir, 'htpasswd'), `alice:${bcrypt.hashSync('s3cret', 5)}\n`);
    // The daemon reads certs.d from here (see engine/registry-config.ts).
    process.env.BERTH_CERTS_DIR = join(dir, 'certs.d');
    daemon = await startDaemon();
    const loaded = await berth(['load', '-i', BUSYBOX]);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    delete process.env.BERTH_CERTS_DIR;
    await daemon?.stop();
    for (const registry of registries) await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs in, pushes and pulls through the Bearer token flow', async () => {
    const config = join(dir, 'token.yml');
    await writeFile(config, `auth:\n  mode: token\n  htpasswd: ${join(dir, 'htpasswd')}\n`);
    const registry = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      config,
      '--root',
      join(dir, 'token-root'),
    ]);
    registries.push(registry);
    const host = registry.address;
    const wrong = await berth(['login', '-u', 'alice', '--password-stdin', host], 'nope\n');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^Error response from daemon: .*unauthorized/);
    const login = await berth(['login', '-u', 'alice', '--password-stdin', host], 's3cret\n');
    assert.equal(login.code, 0, login.stderr);
    await berth(['tag', 'busybox', `${host}/team/busybox:t1`]);
    const pushed = await berth(['push', `${host}/team/busybox:t1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = /t1: digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1];
    assert.ok(digest);
    await berth(['rmi', `${host}/team/busybox:t1`]);
    const pulled = await berth(['pull', `${host}/team/busybox@${digest}`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));
    assert.equal((await berth(['logout', host])).code, 0);
    const denied = await berth(['pull', `${host}/team/busybox:t1`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /unauthorized|denied/);
  });

  const address = hostAddress();
  it('verifies a TLS registry against certs.d, and hints at insecure-registries without it', {
    skip: address ? false : 'no global IPv4 address',
  }, async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const openssl = await runCommand('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${address}`],
      ...['-addext', `subjectAltName=IP:${address}`],
    ]);
    assert.equal(openssl.code, 0, openssl.stderr);
    const config = join(dir, 'tls.yml');
    await writeFile(config, `tls:\n  cert: ${cert}\n  key: ${key}\n`);
    const registry = await startRegistryProcess(bin('berth-registry'), [
      ...['--config', config, '--root', join(dir, 'tls-root'), '--addr', `${address}:0`],
    ]);
    registries.push(registry);
    const host = registry.address;
    await berth(['tag', 'busybox', `${host}/tls/busybox:1`]);
    const untrusted = await berth(['push', `${host}/tls/busybox:1`]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /insecure-registries/);
    await mkdir(join(dir, 'certs.d', host), { recursive: true });
    await writeFile(join(dir, 'certs.d', host, 'ca.crt'), await readFile(cert));
    const trusted = await berth(['push', `${host}/tls/busybox:1`]);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /1: digest: sha256:/);
  });
});
