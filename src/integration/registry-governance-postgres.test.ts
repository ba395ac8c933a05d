/**
 * Governance on PostgreSQL (`database.url`), through real processes: the
 * issue's done-when flow with skopeo against berth-registry serve whose
 * metadata and governance tables live in a real PostgreSQL, a quota refusal,
 * and a restart that finds the users, roles and audit log where they were.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../registry/testing/postgres.js';
import type { RegistryProcess } from '../registry/testing/process.js';
import {
  adminApi,
  bigImageLayout,
  pushBusybox,
  skopeo,
  skopeoBinary,
  startGovernedRegistry,
} from '../testing/governed-registry.js';

const ADMIN_PASSWORD = 'Postgres-admin-1';

interface AuditView {
  username: string | null;
  operation: string;
  resource: string;
  result: string;
  detail?: string;
}

describe('berth-registry governance on PostgreSQL with skopeo (token mode)', {
  skip: postgresSkipReason() || (skopeoBinary ? false : 'no skopeo'),
}, () => {
  let dir: string;
  let postgres: TestPostgres | undefined;
  let server: RegistryProcess | undefined;
  let host: string;
  const admin = adminApi(() => host, ADMIN_PASSWORD);
  const start = async () => {
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD, [
      '--config',
      join(dir, 'config.yml'),
    ]);
    host = server.address;
  };
  const auditOf = async (project: string) =>
    (await admin('GET', `/api/v2.0/projects/${project}/logs?page_size=100`)).body['entries'] as AuditView[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-governance-pg-'));
    postgres = await startTestPostgres();
    if (!postgres) throw new Error('PostgreSQL did not start');
    await writeFile(join(dir, 'config.yml'), `database:\n  url: ${postgres.url}\n`);
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
      assert.equal((await admin('POST', '/api/v2.0/projects/team/members', { username, role })).status, 201);
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

    // The rows are in PostgreSQL, and no SQLite database was made beside the blobs.
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
    assert.equal(existsSync(join(dir, 'root', 'registry.db')), false);
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

  it('the web UI lists and searches projects and repositories out of PostgreSQL', async () => {
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
    // Case-insensitive on PostgreSQL too, as on SQLite.
    const projects = await page('/ui/?q=TEA');
    assert.match(projects, /<a href="\/ui\/projects\/team">team<\/a><\/td><td>private<\/td>\s*<td>\d+<\/td>/);
    assert.match(await page('/ui/projects/team?q=ap'), />team\/app<\/a>/);
    assert.doesNotMatch(await page('/ui/projects/team?q=zz'), />team\/app<\/a>/);
    const found = await page('/ui/search?q=App');
    assert.match(found, /1 repository matches/);
    assert.match(found, />team\/app<\/a>/);
    // The project is private: an anonymous search finds nothing.
    assert.match(await page('/ui/search?q=app', false), /0 repositories match/);
  });

  it('a second replica on the same database and root serves the same users, roles and audit log', async () => {
    const second = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD, [
      '--config',
      join(dir, 'config.yml'),
    ]);
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
      const promoted = await pushBusybox(`docker://${second.address}/team/app:second`, 'guest:Gguest-pass-1');
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
