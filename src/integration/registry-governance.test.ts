import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RegistryProcess } from '../registry/testing/process.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import {
  adminApi,
  bigImageLayout,
  pushBusybox,
  skopeo,
  skopeoBinary,
  startGovernedRegistry,
} from '../testing/governed-registry.js';
import { busyboxArchive, dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const ADMIN_PASSWORD = 'Integration-admin-1';

describe('berth-registry governance with skopeo (token mode)', {
  skip: skopeoBinary ? false : 'no skopeo',
}, () => {
  let dir: string;
  let server: RegistryProcess;
  let host: string;

  const admin = adminApi(() => host, ADMIN_PASSWORD);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-governance-'));
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    host = server.address;
    assert.equal(
      (await admin('POST', '/api/v2.0/projects', { project_name: 'team', public: false })).status,
      201,
    );
    for (const [username, role] of [
      ['dev', 'developer'],
      ['guest', 'guest'],
    ] as const) {
      const password = `${username[0]!.toUpperCase()}${username}-pass-1`;
      assert.equal((await admin('POST', '/api/v2.0/users', { username, password })).status, 201);
      assert.equal((await admin('POST', '/api/v2.0/projects/team/members', { username, role })).status, 201);
    }
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dev pushes, guest pulls but may not push, anonymous is refused; the audit log says so', async () => {
    const ref = `docker://${host}/team/app:1`;
    const push = await pushBusybox(ref, 'dev:Ddev-pass-1');
    assert.equal(push.code, 0, push.stderr);
    const pull = await skopeo(['inspect', '--tls-verify=false', '--creds', 'guest:Gguest-pass-1', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    const guestPush = await pushBusybox(`docker://${host}/team/app:guest`, 'guest:Gguest-pass-1');
    assert.notEqual(guestPush.code, 0);
    assert.match(guestPush.stderr, /denied/);
    const anonymous = await skopeo(['inspect', '--tls-verify=false', '--no-creds', ref]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /unauthorized/);

    const { body } = await admin('GET', '/api/v2.0/projects/team/logs?page_size=100');
    const entries = body['entries'] as {
      username: string | null;
      operation: string;
      resource: string;
      result: string;
    }[];
    const has = (username: string | null, operation: string, result: string, resource?: string) =>
      entries.some(
        (e) =>
          e.username === username &&
          e.operation === operation &&
          e.result === result &&
          (resource === undefined || e.resource === resource),
      );
    assert.ok(has('dev', 'push', 'success', 'team/app:1'), 'dev push');
    assert.ok(has('guest', 'pull', 'success'), 'guest pull');
    assert.ok(has('guest', 'push', 'failure'), 'guest push refused');
    assert.ok(has(null, 'pull', 'failure', 'team/app:1'), 'anonymous pull refused');
  });

  it('a 10 MB quota refuses a 20 MB push and the usage stays as it was', async () => {
    const quota = `/api/v2.0/projects/team/quota`;
    assert.equal((await admin('PUT', quota, { storage_limit: 10 * 1024 * 1024 })).status, 200);
    const before = (await admin('GET', quota)).body;
    await bigImageLayout(join(dir, 'big'), 20 * 1024 * 1024);
    const push = await skopeo([
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      'dev:Ddev-pass-1',
      `oci:${join(dir, 'big', 'layout')}:big`,
      `docker://${host}/team/big:1`,
    ]);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /denied: quota exceeded: project team uses \d+ of its 10485760 bytes/);
    assert.deepEqual((await admin('GET', quota)).body, before);
    // Nothing half-stored: the refused upload's session and data are gone.
    const uploads = await readdir(join(dir, 'root', 'uploads')).catch(() => []);
    assert.deepEqual(uploads, []);
  });
});

const noDocker = !dockerdBinary() || !dockerCli() ? 'dockerd or the docker CLI is not installed' : false;

describe('berth-registry governance with docker (token mode)', { skip: noDocker }, () => {
  let dir: string;
  let server: RegistryProcess;
  let peer: PeerDockerd | undefined;

  const docker = (args: string[], config: string, input?: string) =>
    runCommand(dockerCli()!, ['-H', peer!.host, ...args], {
      env: { ...process.env, DOCKER_CONFIG: join(dir, config) },
      timeoutMs: 180_000,
      ...(input ? { input } : {}),
    });
  const admin = adminApi(() => server.address, ADMIN_PASSWORD);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-governance-docker-'));
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    peer = await startPeerDockerd();
    const load = await docker(['load', '-i', busyboxArchive], 'anon');
    assert.equal(load.code, 0, load.stderr);
    assert.equal(
      (await admin('POST', '/api/v2.0/projects', { project_name: 'team', public: false })).status,
      201,
    );
    for (const [username, role, password] of [
      ['dev', 'developer', 'Dev-pass-1'],
      ['guest', 'guest', 'Guest-pass-1'],
    ] as const) {
      assert.equal((await admin('POST', '/api/v2.0/users', { username, password })).status, 201);
      assert.equal((await admin('POST', '/api/v2.0/projects/team/members', { username, role })).status, 201);
    }
  });
  after(async () => {
    await server?.stop();
    await peer?.stop().catch(async () => {
      const peerDir = peer!.host.replace(/^unix:\/\//, '').replace(/\/docker\.sock$/, '');
      await runCommand('umount', ['-l', join(peerDir, 'data')]);
      await rm(peerDir, { recursive: true, force: true });
    });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dev logs in and pushes; guest pulls but its push is denied; anonymous pull is refused', async () => {
    const ref = `${server.address}/team/app:1`;
    assert.equal((await docker(['tag', 'busybox:latest', ref], 'dev')).code, 0);
    const login = await docker(
      ['login', '-u', 'dev', '--password-stdin', server.address],
      'dev',
      'Dev-pass-1',
    );
    assert.equal(login.code, 0, login.stderr);
    const push = await docker(['push', ref], 'dev');
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await docker(['rmi', ref], 'dev')).code, 0);

    const guestLogin = await docker(
      ['login', '-u', 'guest', '--password-stdin', server.address],
      'guest',
      'Guest-pass-1',
    );
    assert.equal(guestLogin.code, 0, guestLogin.stderr);
    const pull = await docker(['pull', ref], 'guest');
    assert.equal(pull.code, 0, pull.stderr);
    const guestRef = `${server.address}/team/app:guest`;
    assert.equal((await docker(['tag', ref, guestRef], 'guest')).code, 0);
    const guestPush = await docker(['push', guestRef], 'guest');
    assert.notEqual(guestPush.code, 0);
    assert.match(guestPush.stderr, /denied: requested access to the resource is denied/);
    await docker(['rmi', ref, guestRef], 'guest');

    const anonymous = await docker(['pull', ref], 'anon');
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /unauthorized: authentication required/);

    const { body } = await admin('GET', '/api/v2.0/projects/team/logs?page_size=100');
    const entries = body['entries'] as { username: string | null; operation: string; result: string }[];
    const has = (username: string | null, operation: string, result: string) =>
      entries.some((e) => e.username === username && e.operation === operation && e.result === result);
    assert.ok(has('dev', 'push', 'success'), 'dev push');
    assert.ok(has('guest', 'pull', 'success'), 'guest pull');
    assert.ok(has('guest', 'push', 'failure'), 'guest push refused');
    assert.ok(has(null, 'pull', 'failure'), 'anonymous pull refused');
    // dockerd resolves the tag with HEAD and GETs the digest; the entry still names the tag.
    const guestPull = (body['entries'] as { username: string; operation: string; detail?: string }[]).find(
      (e) => e.username === 'guest' && e.operation === 'pull',
    );
    assert.equal(guestPull?.detail, 'tags: 1');
  });
});
