/**
 * Governance through real processes: the done-when flow with skopeo against
 * `berth-registry serve` in token mode, once with its metadata and governance tables in
 * SQLite and once in a real PostgreSQL (skipped, saying why, when PostgreSQL is not
 * installed): roles and the audit log, a quota refusal, a restart that finds users, roles,
 * quota and audit log where they were, and the web UI's listings. PostgreSQL adds a second
 * replica on the same database. Then the same roles with the real docker CLI.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  backendSkipReason,
  METADATA_BACKENDS,
  postgresFor,
  type TestPostgres,
} from '../registry/testing/postgres.js';
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
import { busyboxArchive, dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const ADMIN_PASSWORD = 'Integration-admin-1';

interface AuditView {
  username: string | null;
  operation: string;
  resource: string;
  result: string;
  detail?: string;
}

for (const backend of METADATA_BACKENDS)
  describe(`berth-registry governance with skopeo (token mode, ${backend})`, {
    skip: fixturesMissing || (!skopeoBinary ? 'no skopeo' : backendSkipReason(backend)),
  }, () => {
    let dir: string;
    let postgres: TestPostgres | undefined;
    let server: RegistryProcess | undefined;
    let host: string;
    const admin = adminApi(() => host, ADMIN_PASSWORD);
    const serverArgs = () => (postgres ? ['--config', join(dir, 'config.yml')] : []);
    const start = async () => {
      server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD, serverArgs());
      host = server.address;
    };
    const auditOf = async (project: string) =>
      (await admin('GET', `/api/v2.0/projects/${project}/logs?page_size=100`)).body['entries'] as AuditView[];

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `berth-registry-governance-${backend}-`));
      postgres = await postgresFor(backend);
      if (postgres) await writeFile(join(dir, 'config.yml'), `database:\n  url: ${postgres.url}\n`);
      await start();
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
        assert.equal(
          (await admin('POST', '/api/v2.0/projects/team/members', { username, role })).status,
          201,
        );
      }
    });
    after(async () => {
      await server?.stop();
      await postgres?.stop();
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

      const entries = await auditOf('team');
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
      // The rows are where the backend keeps them, and nowhere else.
      assert.equal(existsSync(join(dir, 'root', 'registry.db')), backend === 'sqlite');
    });

    if (backend === 'postgres')
      it('the audit rows are in PostgreSQL, and append-only there', async () => {
        const client = new pg.Client({ connectionString: postgres!.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM audit_log WHERE project = 'team' AND username = 'dev' AND operation = 'push'",
          );
          assert.ok(Number(rows[0]?.n) >= 1);
          await assert.rejects(
            client.query("UPDATE audit_log SET result = 'success' WHERE result = 'failure'"),
            /append-only/,
          );
        } finally {
          await client.end();
        }
      });

    it('a 10 MB quota refuses a 20 MB push and the usage stays as it was', async () => {
      const quota = '/api/v2.0/projects/team/quota';
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
      const refusal = (await auditOf('team')).find((e) => e.operation === 'quota_exceeded');
      assert.equal(refusal?.username, 'dev');
      assert.equal(refusal?.result, 'failure');
    });

    it('after a restart, users, roles, quota and the audit log are still there', async () => {
      await server?.stop();
      await start();
      const members = (await admin('GET', '/api/v2.0/projects/team/members')).body as unknown as {
        username: string;
        role: string;
      }[];
      assert.deepEqual(members, [
        { username: 'dev', role: 'developer' },
        { username: 'guest', role: 'guest' },
      ]);
      assert.equal(
        (await admin('GET', '/api/v2.0/projects/team/quota')).body['storage_limit'],
        10 * 1024 * 1024,
      );
      const pull = await skopeo([
        'inspect',
        '--tls-verify=false',
        '--creds',
        'guest:Gguest-pass-1',
        `docker://${host}/team/app:1`,
      ]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.ok((await auditOf('team')).some((e) => e.username === 'dev' && e.operation === 'push'));
    });

    it('the web UI lists and searches projects and repositories', async () => {
      const login = await fetch(`http://${host}/ui/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'dev', password: 'Ddev-pass-1' }).toString(),
        redirect: 'manual',
      });
      assert.equal(login.status, 303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(cookie, /^berth_session=./);
      const page = async (path: string, asDev = true) => {
        const response = await fetch(`http://${host}${path}`, { headers: asDev ? { cookie } : {} });
        assert.equal(response.status, 200, path);
        return response.text();
      };
      // Case-insensitive on both backends.
      const projects = await page('/ui/?q=TEA');
      assert.match(
        projects,
        /<a href="\/ui\/projects\/team">team<\/a><\/td><td>private<\/td>\s*<td>\d+<\/td>/,
      );
      assert.match(await page('/ui/projects/team?q=ap'), />team\/app<\/a>/);
      assert.doesNotMatch(await page('/ui/projects/team?q=zz'), />team\/app<\/a>/);
      const found = await page('/ui/search?q=App');
      assert.match(found, /1 repository matches/);
      assert.match(found, />team\/app<\/a>/);
      // The project is private: an anonymous search finds nothing.
      assert.match(await page('/ui/search?q=app', false), /0 repositories match/);
    });

    if (backend === 'postgres')
      it('a second replica on the same database and root serves the same users, roles and audit log', async () => {
        const second = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD, serverArgs());
        try {
          const ref = `docker://${second.address}/team/app:1`;
          const guestPull = await skopeo([
            'inspect',
            '--tls-verify=false',
            '--creds',
            'guest:Gguest-pass-1',
            ref,
          ]);
          assert.equal(guestPull.code, 0, guestPull.stderr);
          const guestPush = await pushBusybox(
            `docker://${second.address}/team/app:second`,
            'guest:Gguest-pass-1',
          );
          assert.notEqual(guestPush.code, 0);
          assert.match(guestPush.stderr, /denied/);
          // A role given through the first replica holds on the second (within its one-second lookup cache).
          assert.equal(
            (await admin('PUT', '/api/v2.0/projects/team/members/guest', { role: 'developer' })).status,
            200,
          );
          await new Promise((resolve) => setTimeout(resolve, 1100));
          const promoted = await pushBusybox(
            `docker://${second.address}/team/app:second`,
            'guest:Gguest-pass-1',
          );
          assert.equal(promoted.code, 0, promoted.stderr);
        } finally {
          // Its queued audit entries are written when it stops (otherwise within 200 ms).
          await second.stop();
        }
        // What the second replica audited, the first one lists.
        const entries = await auditOf('team');
        assert.ok(
          entries.some((e) => e.username === 'guest' && e.operation === 'push' && e.result === 'success'),
        );
        assert.ok(
          entries.some((e) => e.username === 'guest' && e.operation === 'push' && e.result === 'failure'),
        );
      });
  });

const noDocker =
  fixturesMissing ||
  (!dockerdBinary() || !dockerCli() ? 'dockerd or the docker CLI is not installed' : false);

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
