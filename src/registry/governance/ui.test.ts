import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { imageManifest } from '../testing/harness.js';
import { withUiRegistry } from '../testing/ui-registry.js';

describe('berth-registry web UI', () => {
  const ui = withUiRegistry({ tempPrefix: 'berth-registry-ui-', adminPassword: 'Ui-admin-pass1' });
  const { login, get, post } = ui;

  it('admin logs in, creates a project with a quota, adds a member and sees it in the audit log', async () => {
    assert.equal((await login('admin', 'wrong')).status, 401);
    const { status, cookie } = await login('admin', 'Ui-admin-pass1');
    assert.equal(status, 303);
    const created = await post('/ui/projects', cookie, { name: 'team', limit: '10' });
    assert.equal(created.statusCode, 303);
    const projects = await get('/ui/', cookie);
    assert.match(projects.body, /<a href="\/ui\/projects\/team">team<\/a>/);
    assert.match(projects.body, /class="bar"/);
    assert.match(projects.body, /0 B of 10\.0 MiB/);

    const weak = await post('/ui/users', cookie, { username: 'dev', password: 'weak' });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /password: must be 8 to 128 characters long/);
    assert.equal(
      (await post('/ui/users', cookie, { username: 'dev', password: 'Dev-pass-1' })).statusCode,
      303,
    );
    assert.match((await get('/ui/users', cookie)).body, /<td>dev<\/td>/);
    const added = await post('/ui/projects/team/members', cookie, { username: 'dev', role: 'developer' });
    assert.equal(added.statusCode, 303);
    assert.match((await get('/ui/projects/team/members', cookie)).body, /<td>dev<\/td><td>developer<\/td>/);
    const log = (await get('/ui/projects/team/logs', cookie)).body;
    assert.match(log, /add_member<\/td><td>dev<\/td>/);
    assert.match(log, /create_project<\/td><td>team<\/td>/);
  });

  it('lists repositories with their tags and pull commands', async () => {
    const auth = await ui.bearer('team/app');
    const blob = (content: string) => ui.pushBlob('team/app', auth, content);
    const manifest = imageManifest(await blob('{"ui":1}'), [await blob('ui layer')]);
    await ui.putManifest('team/app', auth, '1', manifest);
    const { cookie } = await login('admin', 'Ui-admin-pass1');
    const project = (await get('/ui/projects/team', cookie)).body;
    assert.match(project, /<code>docker pull [^<]*\/team\/app<\/code>/);
    const repository = (await get('/ui/projects/team/repositories/app', cookie)).body;
    assert.match(repository, new RegExp(`${sha256Of(manifest).slice(0, 19)}…</code></a></td><td>1</td>`));
  });

  it('creates a robot account whose secret is shown once and logs in', async () => {
    const { cookie } = await login('admin', 'Ui-admin-pass1');
    const created = await post('/ui/projects/team/robots', cookie, { name: 'ci', action: 'pull' });
    assert.equal(created.statusCode, 201);
    const secret = /shown only now\): <code>([^<]+)<\/code>/.exec(created.body)?.[1];
    assert.ok(secret);
    assert.doesNotMatch((await get('/ui/projects/team/robots', cookie)).body, new RegExp(secret));
    const grant = await ui.app.inject({
      method: 'GET',
      url: '/token?scope=repository:team/app:pull,push',
      headers: { authorization: `Basic ${Buffer.from(`robot$team+ci:${secret}`).toString('base64')}` },
    });
    assert.equal(grant.statusCode, 200);
    const bad = await post('/ui/projects/team/robots', cookie, { name: 'Bad Name', action: 'pull' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /name: 1 to 64 lower-case letters/);
  });

  it('applies the permission matrix: anonymous is sent to log in, a developer cannot manage members', async () => {
    const anonymous = await get('/ui/projects/team');
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/ui/login');
    const { cookie } = await login('dev', 'Dev-pass-1');
    assert.equal((await get('/ui/projects/team', cookie)).statusCode, 200);
    const members = await get('/ui/projects/team/members', cookie);
    assert.equal(members.statusCode, 200);
    assert.doesNotMatch(members.body, /Add or change a member/);
    const refused = await post('/ui/projects/team/members', cookie, {
      username: 'dev',
      role: 'project admin',
    });
    assert.equal(refused.statusCode, 403);
    assert.equal((await post('/ui/projects', cookie, { name: 'mine' })).statusCode, 403);
    assert.equal((await get('/ui/users', cookie)).statusCode, 403);
    assert.equal((await get('/ui/projects/team/robots', cookie)).statusCode, 403);
  });

  it('refuses cross-origin form posts and escapes what users typed', async () => {
    const { cookie } = await login('admin', 'Ui-admin-pass1');
    const evil = await post('/ui/projects', cookie, { name: 'evil' }, 'http://evil.example');
    assert.equal(evil.statusCode, 403);
    const filtered = await get('/ui/projects/team/logs?username=%3Cscript%3E', cookie);
    assert.doesNotMatch(filtered.body, /<script>/);
    assert.match(filtered.body, /&lt;script&gt;/);
  });
});
