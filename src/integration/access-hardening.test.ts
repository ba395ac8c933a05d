import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { SignJWT } from 'jose';
import { groupId } from '../engine/listeners.js';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { bin } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// Who may talk to berthd and berth-registry, tried the way an attacker would.

interface RawReply {
  status: number;
  body: string;
}

/** One HTTP request with the path sent exactly as given (no URL normalisation). */
function raw(
  target: { socketPath: string } | { host: string; port: number },
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('berthd socket access', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ config: {} });
    // Let other users reach the socket's directory, so only the socket's own mode decides.
    await chmod(daemon.dir, 0o755);
  });
  after(async () => {
    if (daemon) await daemon.stop();
  });

  const curlAs = (ids: string[]) =>
    runCommand('setpriv', [
      ...ids,
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--unix-socket',
      daemon.socket,
      'http://berth/_ping',
    ]);

  it('the socket is 0660, owned by root and the berth group', async () => {
    const r = await runCommand('stat', ['-c', '%a %U %G', daemon.socket]);
    const gid = await groupId('berth');
    assert.equal(r.stdout.trim(), gid === undefined ? '660 root root' : '660 root berth');
  });

  it('refuses a user outside the group and serves a member', async () => {
    const refused = await curlAs(['--reuid=65534', '--regid=65534', '--clear-groups']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Permission denied|Couldn't connect/i);
    const gid = await groupId('berth');
    if (gid !== undefined) {
      const member = await curlAs(['--reuid=65534', '--regid=65534', `--groups=${gid}`]);
      assert.equal(member.stdout, '200', member.stderr);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('berthd on TCP without TLS', () => {
  it('refuses to start unless --tls=false says so, then serves the API there', async () => {
    const port = await freePort();
    const refused = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`], expectExit: true });
    try {
      assert.notEqual(refused.process.exitCode, 0);
      assert.match(refused.output(), /TLS/);
    } finally {
      await refused.stop();
    }
    const daemon = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`, '--tls=false'] });
    try {
      const pong = await raw({ host: '127.0.0.1', port }, 'GET', '/_ping');
      assert.equal(pong.body, 'OK');
      assert.match(daemon.output(), /without TLS/);
    } finally {
      await daemon.stop();
    }
  });

  it('the same for `hosts` in daemon.json: refused, until `"tls": false` says so', async () => {
    const port = await freePort();
    const hosts = [`tcp://127.0.0.1:${port}`];
    const refused = await startDaemon({ config: { hosts }, expectExit: true });
    try {
      assert.notEqual(refused.process.exitCode, 0);
      assert.match(
        refused.output(),
        new RegExp(`hosts: tcp://127\\.0\\.0\\.1:${port}: .*without TLS is insecure`),
      );
    } finally {
      await refused.stop();
    }
    const daemon = await startDaemon({ config: { hosts, tls: false } });
    try {
      const pong = await raw({ host: '127.0.0.1', port }, 'GET', '/_ping');
      assert.equal(pong.body, 'OK');
    } finally {
      await daemon.stop();
    }
  });
});

describe('berth-registry token mode refuses forged, stale and misdirected tokens', () => {
  let dir: string;
  let registry: RegistryProcess;
  let target: { host: string; port: number };
  let privateKeyPem: string;
  let keyId: string;
  const password = 'Sup3r-s3cret-pa55';
  const basic = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;

  const token = async (scope: string) => {
    const r = await raw(target, 'GET', `/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, {
      authorization: basic,
    });
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { token: string }).token;
  };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  /** A token signed with the registry's own key, with claims the test chooses. */
  const forge = (claims: Record<string, unknown>, overrides: { aud?: string; iss?: string; exp?: number }) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'JWT' })
      .setIssuer(overrides.iss ?? 'berth-registry')
      .setAudience(overrides.aud ?? 'berth-registry')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 300)
      .sign(createPrivateKey(privateKeyPem));
  const pullClaims = (name: string) => ({ access: [{ type: 'repository', name, actions: ['pull'] }] });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-access-'));
    await writeFile(
      join(dir, 'htpasswd'),
      `alice:${bcrypt.hashSync(password, 5)}\ncarol:${bcrypt.hashSync('carols-pa55', 5)}\n`,
    );
    await writeFile(join(dir, 'config.yml'), `auth:\n  mode: token\n  htpasswd: ${join(dir, 'htpasswd')}\n`);
    registry = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      join(dir, 'config.yml'),
      '--root',
      join(dir, 'root'),
    ]);
    const [host, port] = registry.address.split(':');
    target = { host: host!, port: Number(port) };
    privateKeyPem = await readFile(join(dir, 'root', 'token-signing-key.pem'), 'utf8');
    const spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
    keyId = createHash('sha256').update(spki).digest('base64url').slice(0, 32);
    // Put a tagged image into team/secret, so that a bypass would have something to read.
    const push = bearer(await token('repository:team/secret:pull,push'));
    const config = Buffer.from(
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const blob = await raw(
      target,
      'POST',
      `/v2/team/secret/blobs/uploads/?digest=${configDigest}`,
      push,
      config,
    );
    assert.equal(blob.status, 201, blob.body);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    });
    const put = await raw(
      target,
      'PUT',
      '/v2/team/secret/manifests/v1',
      { ...push, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      manifest,
    );
    assert.equal(put.status, 201, put.body);
  });
  after(async () => {
    if (registry) await registry.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const secretTags = '/v2/team/secret/tags/list';

  it('a genuine token reads its repository (the control case)', async () => {
    const r = await raw(target, 'GET', secretTags, bearer(await token('repository:team/secret:pull')));
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /"v1"/);
  });

  it('rejects alg "none", a tampered payload and an HS256 token keyed with the public key', async () => {
    const genuine = await token('repository:team/other:pull');
    const [header, payload] = genuine.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    claims['access'] = pullClaims('team/secret')['access'];
    const tamperedPayload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${tamperedPayload}.`;
    const tampered = `${header}.${tamperedPayload}.${genuine.split('.')[2]}`;
    const publicPem = createPublicKey(createPrivateKey(privateKeyPem)).export({
      type: 'spki',
      format: 'pem',
    });
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new Uint8Array(Buffer.from(publicPem)));
    for (const [what, forged] of [
      ['alg none', none],
      ['tampered', tampered],
      ['HS256 confusion', hs256],
    ] as const) {
      const r = await raw(target, 'GET', secretTags, bearer(forged));
      assert.equal(r.status, 401, `${what}: ${r.body}`);
      assert.match(r.body, /UNAUTHORIZED/, what);
    }
  });

  it('rejects expired tokens and tokens for another service or issuer, even when signed with the right key', async () => {
    const control = await forge(pullClaims('team/secret'), {});
    assert.equal((await raw(target, 'GET', secretTags, bearer(control))).status, 200, 'forge works');
    for (const [what, overrides] of [
      ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }],
      ['wrong audience', { aud: 'another-registry' }],
      ['wrong issuer', { iss: 'someone-else' }],
    ] as const) {
      const r = await raw(
        target,
        'GET',
        secretTags,
        bearer(await forge(pullClaims('team/secret'), overrides)),
      );
      assert.equal(r.status, 401, `${what}: ${r.body}`);
    }
  });

  it('a token for one repository opens no other, however the path is spelled', async () => {
    const other = bearer(await token('repository:team/other:pull'));
    const direct = await raw(target, 'GET', secretTags, other);
    assert.equal(direct.status, 401, direct.body);
    assert.match(direct.body, /insufficient_scope|UNAUTHORIZED/);
    const tricks = [
      '/v2/team/other/../secret/tags/list',
      '/v2/team/other/%2e%2e/secret/tags/list',
      '/v2/team/other%2f..%2fsecret/tags/list',
      '/v2/team/other/..%2fsecret/tags/list',
      '/v2//team/secret/tags/list',
      '/v2/team//secret/tags/list',
      '/v2/team/secret/tags/list/',
      '/v2/team/other/%252e%252e/secret/tags/list',
      '/v2/TEAM/secret/tags/list',
      '/v2/team/secret%00/tags/list',
      '/v2/team/other/./../secret/manifests/v1',
    ];
    for (const path of tricks) {
      const r = await raw(target, 'GET', path, other);
      assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status} ${r.body}`);
      assert.doesNotMatch(r.body, /"v1"|schemaVersion/, `${path} leaked team/secret`);
    }
  });

  it('a pull token cannot push or delete', async () => {
    const pull = bearer(await token('repository:team/secret:pull'));
    const upload = await raw(target, 'POST', '/v2/team/secret/blobs/uploads/', pull);
    assert.equal(upload.status, 401, upload.body);
    const del = await raw(target, 'DELETE', '/v2/team/secret/manifests/v1', pull);
    assert.equal(del.status, 401, del.body);
  });

  it('password guessing is throttled: after 10 failures even the right password is refused', async () => {
    const login = (pw: string) =>
      raw(target, 'GET', '/token?service=berth-registry', {
        authorization: `Basic ${Buffer.from(`carol:${pw}`).toString('base64')}`,
      });
    assert.equal((await login('carols-pa55')).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await login(`guess-${i}`)).status, 401, `guess ${i}`);
    const locked = await login('carols-pa55');
    assert.equal(locked.status, 429, locked.body);
    assert.match(locked.body, /TOOMANYREQUESTS/);
    // Another user from the same address is not locked out with her.
    assert.equal(
      (await raw(target, 'GET', '/token?service=berth-registry', { authorization: basic })).status,
      200,
    );
  });

  it('the password and tokens never appear in the registry log', async () => {
    const t = await token('repository:team/secret:pull');
    await raw(target, 'GET', '/token?service=berth-registry', {
      authorization: `Basic ${Buffer.from('alice:wrong-Pa55word').toString('base64')}`,
    });
    const log = registry.log();
    for (const secret of [password, 'wrong-Pa55word', basic.slice(6), t, t.split('.')[2]!]) {
      assert.ok(!log.includes(secret), `registry log holds a secret: ${secret.slice(0, 12)}…`);
    }
  });
});

describe('berthd keeps registry credentials out of logs, errors and inspect output', () => {
  let daemon: TestDaemon;
  let registry: RegistryProcess;
  let dir: string;
  const password = 'Daemon-s3cret-Pa55';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-secrets-'));
    await writeFile(join(dir, 'htpasswd'), `bob:${bcrypt.hashSync(password, 5)}\n`);
    await writeFile(join(dir, 'config.yml'), `auth:\n  mode: token\n  htpasswd: ${join(dir, 'htpasswd')}\n`);
    registry = await startRegistryProcess(bin('berth-registry'), [
      '--config',
      join(dir, 'config.yml'),
      '--root',
      join(dir, 'root'),
    ]);
    daemon = await startDaemon({ config: { 'insecure-registries': [registry.address], debug: true } });
  });
  after(async () => {
    if (daemon) await daemon.stop();
    if (registry) await registry.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('POST /auth, a pull with X-Registry-Auth and their failures never echo the secret', async () => {
    const socket = { socketPath: daemon.socket };
    const json = { 'content-type': 'application/json' };
    const good = { username: 'bob', password, serveraddress: registry.address };
    const ok = await raw(socket, 'POST', '/v1.45/auth', json, JSON.stringify(good));
    assert.equal(ok.status, 200, ok.body);
    const wrongPassword = `${password}-wrong`;
    const bad = await raw(
      socket,
      'POST',
      '/v1.45/auth',
      json,
      JSON.stringify({ ...good, password: wrongPassword }),
    );
    assert.equal(bad.status, 401, bad.body);
    const header = Buffer.from(JSON.stringify(good)).toString('base64url');
    const badHeader = Buffer.from(JSON.stringify({ ...good, password: wrongPassword })).toString('base64url');
    const pulls = [
      await raw(socket, 'POST', `/v1.45/images/create?fromImage=${registry.address}/team/none&tag=v1`, {
        'x-registry-auth': header,
      }),
      await raw(socket, 'POST', `/v1.45/images/create?fromImage=${registry.address}/team/none&tag=v1`, {
        'x-registry-auth': badHeader,
      }),
    ];
    const info = await raw(socket, 'GET', '/v1.45/info');
    const surfaces = [
      daemon.output(),
      registry.log(),
      ok.body,
      bad.body,
      info.body,
      ...pulls.map((p) => p.body),
    ];
    for (const secret of [password, wrongPassword, header, badHeader]) {
      for (const text of surfaces)
        assert.ok(!text.includes(secret), `secret ${secret.slice(0, 8)}… leaked in:\n${text.slice(0, 400)}`);
    }
  });
});
