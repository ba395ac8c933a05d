import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { buildConfig } from '../config.js';
import { openRegistryDatabase } from '../metadata/sqlite-database.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';
import { imageManifest } from '../testing/harness.js';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { sqliteGovernanceDatabase } from './database.js';
import { createGovernance } from './governance.js';

const ADMIN = { user: 'admin', password: 'Governance-admin-1' };

describe('berth-registry governance on SQLite', () => {
  governanceSuite(async () => ({}));
});

describe('berth-registry governance on PostgreSQL', { skip: postgresSkipReason() }, () => {
  let postgres: TestPostgres | undefined;
  before(async () => {
    postgres = await startTestPostgres();
  });
  governanceSuite(async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    return { url: postgres.url };
  });
  // After the suite's own after hook, which stops the registry.
  after(() => postgres?.stop());
});

/** The same requests and answers whichever database holds the registry. */
function governanceSuite(database: () => Promise<{ url?: string }>): void {
  let server: RunningRegistry;
  let app: FastifyInstance;
  let root: string;
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];

  const basic = (who?: { user: string; password: string }) =>
    who ? { authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}` } : {};
  const api = (method: string, url: string, who?: { user: string; password: string }, payload?: unknown) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { ...basic(who), ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
  const token = async (who: { user: string; password: string } | undefined, scope: string) => {
    const response = await app.inject({ method: 'GET', url: `/token?scope=${scope}`, headers: basic(who) });
    assert.equal(response.statusCode, 200, response.body);
    return { authorization: `Bearer ${(response.json() as { token: string }).token}` };
  };
  const pushBlob = async (auth: Record<string, string>, name: string, content: Buffer) =>
    app.inject({
      method: 'POST',
      url: `/v2/${name}/blobs/uploads/?digest=${sha256Of(content)}`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: content,
    });
  const logs = async (query: string) =>
    (
      (await api('GET', `/api/v2.0/audit-logs?${query}`, ADMIN)).json() as {
        entries: Record<string, unknown>[];
      }
    ).entries;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-governance-'));
    process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = ADMIN.password;
    const config = buildConfig(
      { auth: { mode: 'token' }, gc: { interval: 0 }, database: await database() },
      { addr: '127.0.0.1:0', root },
    );
    server = await startRegistryServer(config, silentLogger);
    app = server.app;
    await api('POST', '/api/v2.0/projects', ADMIN, { project_name: 'team', public: false });
    await api('POST', '/api/v2.0/users', ADMIN, { username: 'dev', password: 'Developer-1' });
    await api('POST', '/api/v2.0/projects/team/members', ADMIN, { username: 'dev', role: 'developer' });
  });

  after(async () => {
    await server?.close();
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
    await rm(root, { recursive: true, force: true });
  });

  it('starts with admin and the public project library', async () => {
    const projects = (await api('GET', '/api/v2.0/projects')).json() as { name: string; public: boolean }[];
    assert.deepEqual(projects, [{ ...projects[0], name: 'library', public: true }]);
    const me = (await api('GET', '/api/v2.0/users/current', ADMIN)).json() as { sysadmin: boolean };
    assert.equal(me.sysadmin, true);
  });

  it('prints a generated admin password once, at the first start only', async () => {
    const sqlite = openRegistryDatabase(':memory:');
    const db = sqliteGovernanceDatabase(sqlite);
    const lines: string[] = [];
    await createGovernance({ db, logger: silentLogger, announce: (l) => lines.push(l), bcryptCost: 4 });
    await createGovernance({ db, logger: silentLogger, announce: (l) => lines.push(l), bcryptCost: 4 });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /password of user "admin" is \S{8,}/);
    sqlite.close();
  });

  it('refuses weak passwords, naming the field', async () => {
    const response = await api('POST', '/api/v2.0/users', ADMIN, {
      username: 'weak',
      password: 'alllowercase1',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /password: must contain an upper-case letter/);
  });

  it('refuses a member who is not a user with 404, adding nothing', async () => {
    const response = await api('POST', '/api/v2.0/projects/team/members', ADMIN, {
      username: 'nobody',
      role: 'guest',
    });
    assert.equal(response.statusCode, 404, response.body);
    assert.match(response.body, /user nobody not found/);
    const members = (await api('GET', '/api/v2.0/projects/team/members', ADMIN)).json() as {
      username: string;
    }[];
    assert.deepEqual(
      members.map((m) => m.username),
      ['dev'],
    );
  });

  it('a quota refuses a blob that does not fit with DENIED, and usage stays as it was', async () => {
    assert.equal(
      (await api('PUT', '/api/v2.0/projects/team/quota', ADMIN, { storage_limit: 1000 })).statusCode,
      200,
    );
    const dev = await token({ user: 'dev', password: 'Developer-1' }, 'repository:team/app:pull,push');
    assert.equal((await pushBlob(dev, 'team/app', Buffer.alloc(600, 1))).statusCode, 201);
    const before = (await api('GET', '/api/v2.0/projects/team/quota', ADMIN)).json() as { pending: number };
    assert.equal(before.pending, 600);
    const refused = await pushBlob(dev, 'team/app', Buffer.alloc(600, 2));
    assert.equal(refused.statusCode, 403);
    const error = (refused.json() as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(error.code, 'DENIED');
    assert.match(error.message, /quota exceeded: project team uses 600 of its 1000 bytes/);
    assert.deepEqual((await api('GET', '/api/v2.0/projects/team/quota', ADMIN)).json(), {
      project: 'team',
      storage_limit: 1000,
      used: 0,
      pending: 600,
    });
    // A blob the project already holds is not counted twice, pushed or mounted.
    const other = await token({ user: 'dev', password: 'Developer-1' }, 'repository:team/other:pull,push');
    assert.equal((await pushBlob(other, 'team/other', Buffer.alloc(600, 1))).statusCode, 201);
    const scopes = 'repository:team/third:pull,push&scope=repository:team/app:pull';
    const mount = await app.inject({
      method: 'POST',
      url: `/v2/team/third/blobs/uploads/?mount=${sha256Of(Buffer.alloc(600, 1))}&from=team/app`,
      headers: await token({ user: 'dev', password: 'Developer-1' }, scopes),
    });
    assert.equal(mount.statusCode, 201);
    assert.equal(await server.registry.uploadSessions(), 0);
    const exceeded = await logs('operation=quota_exceeded');
    assert.equal(exceeded.length, 1);
    assert.equal(exceeded[0]?.['username'], 'dev');
    assert.equal(exceeded[0]?.['remoteAddress'], '127.0.0.1');
    const refusedPush = await logs('operation=push&username=dev');
    assert.match(String(refusedPush[0]?.['detail']), /^HTTP 403: quota exceeded/);
    await api('PUT', '/api/v2.0/projects/team/quota', ADMIN, { storage_limit: -1 });
  });

  it('a robot account logs in with its secret, shown once, and has only its permissions', async () => {
    const created = await api('POST', '/api/v2.0/projects/team/robots', ADMIN, {
      name: 'ci',
      permissions: [{ actions: ['pull'] }],
    });
    assert.equal(created.statusCode, 201, created.body);
    const robot = created.json() as { name: string; secret: string };
    assert.equal(robot.name, 'robot$team+ci');
    const listed = (await api('GET', '/api/v2.0/projects/team/robots', ADMIN)).body;
    assert.ok(!listed.includes(robot.secret) && !listed.includes('secret'));
    const who = { user: robot.name, password: robot.secret };
    const grant = await app.inject({
      method: 'GET',
      url: `/token?scope=repository:team/app:pull,push`,
      headers: basic(who),
    });
    assert.equal(grant.statusCode, 200);
    const claims = JSON.parse(
      Buffer.from((grant.json() as { token: string }).token.split('.')[1]!, 'base64url').toString(),
    );
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    const wrong = await app.inject({
      method: 'GET',
      url: '/token',
      headers: basic({ ...who, password: 'x' }),
    });
    assert.equal(wrong.statusCode, 401);
    const expired = await api('POST', '/api/v2.0/projects/team/robots', ADMIN, {
      name: 'old',
      duration: 0,
      permissions: [{ actions: ['pull'] }],
    });
    assert.equal(expired.statusCode, 400);
    assert.match(expired.body, /duration:/);
  });

  it('a deleted robot: its secret and every token issued to it stop working at once', async () => {
    const make = async () => {
      const created = await api('POST', '/api/v2.0/projects/team/robots', ADMIN, {
        name: 'revoked',
        permissions: [{ actions: ['pull', 'push'] }],
      });
      assert.equal(created.statusCode, 201, created.body);
      const robot = created.json() as { name: string; secret: string };
      return { user: robot.name, password: robot.secret };
    };
    const login = (who: { user: string; password: string }) =>
      app.inject({ method: 'GET', url: '/token?scope=repository:team/revoked:pull', headers: basic(who) });
    const blob = Buffer.from('pushed by a robot');
    const head = (auth: Record<string, string>) =>
      app.inject({ method: 'HEAD', url: `/v2/team/revoked/blobs/${sha256Of(blob)}`, headers: auth });
    const first = await make();
    const issued = await token(first, 'repository:team/revoked:pull,push');
    assert.equal((await pushBlob(issued, 'team/revoked', blob)).statusCode, 201);
    assert.equal((await head(issued)).statusCode, 200);

    const removed = await api(
      'DELETE',
      `/api/v2.0/projects/team/robots/${encodeURIComponent(first.user)}`,
      ADMIN,
    );
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal((await login(first)).statusCode, 401);
    // The token is unexpired and well signed, but its robot is gone.
    assert.equal((await head(issued)).statusCode, 403);
    assert.equal((await pushBlob(issued, 'team/revoked', Buffer.from('after deletion'))).statusCode, 403);

    // A new robot of the same name has its own secret, and the old token is not its.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await make();
    assert.equal((await login(first)).statusCode, 401);
    assert.equal((await head(issued)).statusCode, 403);
    assert.equal((await head(await token(second, 'repository:team/revoked:pull'))).statusCode, 200);
    await api('DELETE', `/api/v2.0/projects/team/robots/${encodeURIComponent(second.user)}`, ADMIN);
  });

  it('audits logins, pushes and refused pulls with who, where and the result', async () => {
    await app.inject({ method: 'GET', url: '/token', headers: basic({ user: 'dev', password: 'wrong' }) });
    const failed = await logs('operation=login&username=');
    assert.ok(failed.some((e) => e['resource'] === 'dev' && e['result'] === 'failure'));
    const anonymous = await token(undefined, 'repository:team/app:pull');
    const pull = await app.inject({ method: 'GET', url: '/v2/team/app/manifests/1', headers: anonymous });
    assert.equal(pull.statusCode, 401);
    const pulls = await logs('operation=pull&project=team');
    assert.deepEqual(
      { user: pulls[0]?.['username'], result: pulls[0]?.['result'], from: pulls[0]?.['remoteAddress'] },
      { user: null, result: 'failure', from: '127.0.0.1' },
    );
    const logins = await logs('operation=login&username=dev');
    assert.ok(logins.some((e) => e['result'] === 'success'));
  });

  it('a refresh token (docker login identity token) stops working when the password changes', async () => {
    await api('POST', '/api/v2.0/users', ADMIN, { username: 'carol', password: 'Carol-pass-1' });
    const form = (fields: Record<string, string>) => ({
      method: 'POST' as const,
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ service: 'berth-registry', client_id: 'test', ...fields }).toString(),
    });
    const login = await app.inject(
      form({ grant_type: 'password', username: 'carol', password: 'Carol-pass-1', access_type: 'offline' }),
    );
    const refresh = (login.json() as { refresh_token: string }).refresh_token;
    assert.equal(
      (await app.inject(form({ grant_type: 'refresh_token', refresh_token: refresh }))).statusCode,
      200,
    );
    // Tokens carry whole seconds: change the password in a later second than the token was issued.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const change = await api('PUT', '/api/v2.0/users/carol/password', ADMIN, { newPassword: 'Carol-pass-2' });
    assert.equal(change.statusCode, 200, change.body);
    assert.equal(
      (await app.inject(form({ grant_type: 'refresh_token', refresh_token: refresh }))).statusCode,
      401,
    );
  });

  it('immutable tags can be neither overwritten nor deleted, by tag, digest or repository', async () => {
    const settings = await api('PUT', '/api/v2.0/projects/team', ADMIN, { immutable_tags: ['v*'] });
    assert.equal(settings.statusCode, 200, settings.body);
    const auth = await token(ADMIN, 'repository:team/frozen:pull,push,delete');
    const push = async (tag: string, seed: string) => {
      const config = Buffer.from(`{"seed":"${seed}"}`);
      const layer = Buffer.from(`layer ${seed}`);
      await pushBlob(auth, 'team/frozen', config);
      await pushBlob(auth, 'team/frozen', layer);
      const manifest = imageManifest({ digest: sha256Of(config), size: config.length }, [
        { digest: sha256Of(layer), size: layer.length },
      ]);
      const response = await app.inject({
        method: 'PUT',
        url: `/v2/team/frozen/manifests/${tag}`,
        headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        payload: manifest,
      });
      return { status: response.statusCode, body: response.body, digest: sha256Of(manifest) };
    };
    const first = await push('v1', 'a');
    assert.equal(first.status, 201);
    assert.equal((await push('v1', 'a')).status, 201, 'the same content again is no overwrite');
    const overwrite = await push('v1', 'b');
    assert.equal(overwrite.status, 403);
    assert.match(overwrite.body, /tag team\/frozen:v1 is immutable/);
    assert.equal((await push('latest', 'b')).status, 201);
    assert.equal((await push('latest', 'c')).status, 201, 'tags outside the patterns move freely');
    for (const reference of ['v1', first.digest]) {
      const removal = await app.inject({
        method: 'DELETE',
        url: `/v2/team/frozen/manifests/${reference}`,
        headers: auth,
      });
      assert.equal(removal.statusCode, 403, reference);
    }
    const repository = await api('DELETE', '/api/v2.0/projects/team/repositories/frozen', ADMIN);
    assert.equal(repository.statusCode, 403);
    await api('PUT', '/api/v2.0/projects/team', ADMIN, { immutable_tags: [] });
  });

  it('a retention run reports in a dry run, then deletes the tags no rule keeps', async () => {
    const auth = await token(ADMIN, 'repository:team/kept:pull,push');
    const config = Buffer.from('{"retention":1}');
    await pushBlob(auth, 'team/kept', config);
    const manifest = imageManifest({ digest: sha256Of(config), size: config.length }, []);
    for (const tag of ['release-1', 'a', 'b', 'c']) {
      // Push times order the tags: keep them apart.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await app.inject({
        method: 'PUT',
        url: `/v2/team/kept/manifests/${tag}`,
        headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        payload: manifest,
      });
      assert.equal(response.statusCode, 201);
    }
    // A pull by digest (as dockerd does after resolving a tag) counts for every tag of the digest: all four here.
    const pull = await app.inject({
      method: 'GET',
      url: `/v2/team/kept/manifests/${sha256Of(manifest)}`,
      headers: await token(ADMIN, 'repository:team/kept:pull'),
    });
    assert.equal(pull.statusCode, 200);
    const policy = { retention: { keepLast: 1, keepTags: ['release-*'] } };
    assert.equal((await api('PUT', '/api/v2.0/projects/team', ADMIN, policy)).statusCode, 200);
    const tagsNow = async () =>
      (
        (await api('GET', '/api/v2.0/projects/team/repositories/kept/artifacts', ADMIN)).json() as {
          tags: string[];
        }[]
      )
        .flatMap((a) => a.tags)
        .sort();
    const dry = (await api('POST', '/api/v2.0/projects/team/retention/run?dry_run=true', ADMIN)).json() as {
      deleted: number;
      tags: { repository: string; tag: string; action: string }[];
    };
    const planned = dry.tags
      .filter((t) => t.repository === 'team/kept' && t.action === 'delete')
      .map((t) => t.tag);
    assert.deepEqual(planned.sort(), ['a', 'b']);
    assert.deepEqual(await tagsNow(), ['a', 'b', 'c', 'release-1']);
    const byPull = { retention: { keepLast: 1, keepTags: ['release-*'], keepPulledDays: 1 } };
    assert.equal((await api('PUT', '/api/v2.0/projects/team', ADMIN, byPull)).statusCode, 200);
    const pulledDry = (
      await api('POST', '/api/v2.0/projects/team/retention/run?dry_run=true', ADMIN)
    ).json() as {
      tags: { repository: string; tag: string; action: string }[];
    };
    assert.deepEqual(
      pulledDry.tags.filter((t) => t.repository === 'team/kept' && t.action === 'delete').map((t) => t.tag),
      [],
      'every tag of the pulled manifest was pulled',
    );
    assert.equal((await api('PUT', '/api/v2.0/projects/team', ADMIN, policy)).statusCode, 200);
    const run = await api('POST', '/api/v2.0/projects/team/retention/run', ADMIN);
    assert.equal(run.statusCode, 200, run.body);
    assert.deepEqual(await tagsNow(), ['c', 'release-1']);
    await api('PUT', '/api/v2.0/projects/team', ADMIN, { retention: {} });
  });

  it('audit-log retention deletes only entries older than the setting', async () => {
    await server.governance?.db.run(
      `INSERT INTO audit_log (time, username, remote_address, operation, project, resource, result)
       VALUES (?, 'old', '127.0.0.1', 'pull', 'team', 'team/app:1', 'success')`,
      [Date.now() - 40 * 86_400_000],
    );
    const before = (await logs('username=old')).length;
    assert.equal(before, 1);
    const bad = await api('PUT', '/api/v2.0/system/settings', ADMIN, { audit_retention_days: -1 });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /audit_retention_days:/);
    const set = await api('PUT', '/api/v2.0/system/settings', ADMIN, { audit_retention_days: 30 });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal((set.json() as { purged: number }).purged, 1);
    assert.equal((await logs('username=old')).length, 0);
    assert.equal((await logs('operation=update_settings')).length, 1);
    assert.ok((await logs('operation=login')).length > 0, 'recent entries stay');
    await api('PUT', '/api/v2.0/system/settings', ADMIN, { audit_retention_days: 0 });
  });

  it('serves an OpenAPI document that describes every management route it has', async () => {
    const doc = (await api('GET', '/api/openapi.json')).json() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(doc.openapi, '3.0.3');
    const described = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        url: path.replace(/\{(\w+)\}/g, ':$1'),
      })),
    );
    assert.ok(described.length >= 30);
    for (const route of described) {
      assert.ok(
        app.hasRoute(route as { method: 'GET'; url: string }),
        `${route.method} ${route.url} is not served`,
      );
    }
  });

  it('the audit log cannot be changed through the API or in the database', async () => {
    for (const method of ['PUT', 'DELETE', 'POST', 'PATCH']) {
      const response = await api(method, '/api/v2.0/audit-logs', ADMIN, {});
      assert.ok(
        response.statusCode === 404 || response.statusCode === 405,
        `${method}: ${response.statusCode}`,
      );
    }
    await assert.rejects(server.governance!.db.run("UPDATE audit_log SET result = 'success'"), /append-only/);
  });
}
