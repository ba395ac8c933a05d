import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../core/digest.js';
import { eventually } from '../../runtime/testing/output.js';
import { imageManifest } from '../testing/harness.js';
import { postgresSkipReason, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { withUiRegistry } from '../testing/ui-registry.js';
import { createUiQueries } from './ui-queries.js';

const ADMIN = 'Ui-pages-admin1';
const XSS = '<img src=x onerror=alert(1)>';

describe('berth-registry web UI: artifacts, search, operations on SQLite', () => {
  uiPagesSuite('sqlite', async () => ({}));
});

describe('berth-registry web UI: artifacts, search, operations on PostgreSQL', {
  skip: postgresSkipReason(),
}, () => {
  let postgres: TestPostgres | undefined;
  before(async () => {
    postgres = await startTestPostgres();
  });
  uiPagesSuite('postgres', async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    return { url: postgres.url };
  });
  // After the suite's own after hook, which stops the registry.
  after(() => postgres?.stop());
});

/** The same pages and answers whichever database holds the registry (the paged lists are SQL of their own). */
function uiPagesSuite(dialect: 'sqlite' | 'postgres', database: () => Promise<{ url?: string }>): void {
  const ui = withUiRegistry({ tempPrefix: 'berth-registry-ui-pages-', adminPassword: ADMIN, database });
  const { get, post, bearer, pushBlob, putManifest } = ui;
  const login = async (username: string, password: string) => (await ui.login(username, password)).cookie;
  let admin: string;
  let dev: string;

  let image: string;
  let signature: string;

  before(async () => {
    admin = await login('admin', ADMIN);
    assert.equal((await post('/ui/projects', admin, [['name', 'secret']])).statusCode, 303);
    assert.equal(
      (
        await post('/ui/projects', admin, [
          ['name', 'open'],
          ['public', 'true'],
        ])
      ).statusCode,
      303,
    );
    assert.equal(
      (
        await post('/ui/users', admin, [
          ['username', 'dev'],
          ['password', 'Dev-pass-1'],
        ])
      ).statusCode,
      303,
    );
    dev = await login('dev', 'Dev-pass-1');

    // An image whose config history and annotations carry HTML, and a signature referring to it.
    const auth = await bearer('secret/app');
    const imageConfig = JSON.stringify({
      os: 'linux',
      architecture: 'amd64',
      config: { Cmd: ['/bin/sh'], Labels: { note: XSS } },
      history: [{ created: '2026-01-01T00:00:00Z', created_by: `/bin/sh -c echo ${XSS}` }],
    });
    const manifest = imageManifest(
      await pushBlob('secret/app', auth, imageConfig),
      [await pushBlob('secret/app', auth, 'layer bytes of the ui test')],
      { annotations: { 'org.example.note': XSS } },
    );
    image = await putManifest('secret/app', auth, '1.0', manifest);
    const empty = await pushBlob('secret/app', auth, '{}');
    signature = await putManifest(
      'secret/app',
      auth,
      'sha256-signature',
      imageManifest({ ...empty }, [], {
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        subject: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: image,
          size: manifest.length,
        },
      }),
    );
    const openAuth = await bearer('open/tool');
    const openConfig = await pushBlob('open/tool', openAuth, '{"os":"linux"}');
    await putManifest('open/tool', openAuth, 'latest', imageManifest(openConfig, []));
  });

  it('shows an artifact: tags, size, layers, config history and its referrers, escaped', async () => {
    const repository = await get('/ui/projects/secret/repositories/app', admin);
    assert.match(
      repository.body,
      new RegExp(`href="/ui/projects/secret/repositories/app/artifacts/${encodeURIComponent(image)}"`),
    );
    const page = await get(
      `/ui/projects/secret/repositories/app/artifacts/${encodeURIComponent(image)}`,
      admin,
    );
    assert.equal(page.statusCode, 200);
    const body = page.body;
    assert.match(body, /<h2>Tags<\/h2><table>.*<td>1\.0<\/td>/s);
    assert.match(body, /<h2>Layers<\/h2>/);
    assert.match(body, new RegExp(sha256Of('layer bytes of the ui test')));
    assert.match(body, /<h3>History<\/h3>/);
    assert.match(body, /linux\/amd64/);
    assert.match(body, /<h2>Referrers<\/h2><table>.*cosign\.artifact\.sig/s);
    assert.match(body, new RegExp(signature));
    assert.doesNotMatch(body, /<img src=x/);
    assert.match(body, /&lt;img src=x onerror=alert\(1\)&gt;/);
    const unknown = await get(`/ui/projects/secret/repositories/app/artifacts/${sha256Of('nothing')}`, admin);
    assert.equal(unknown.statusCode, 404);
    const garbage = await get('/ui/projects/secret/repositories/app/artifacts/..%2F..%2Fetc', admin);
    assert.equal(garbage.statusCode, 404);
  });

  it('shows the platforms of an index and when a tag was last pulled', async () => {
    const auth = await bearer('secret/app');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: image,
            size: 1,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
    );
    const put = await ui.app.inject({
      method: 'PUT',
      url: '/v2/secret/app/manifests/multi',
      headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.index.v1+json' },
      payload: index,
    });
    assert.equal(put.statusCode, 201, put.body);
    const page = await get(
      `/ui/projects/secret/repositories/app/artifacts/${encodeURIComponent(sha256Of(index))}`,
      admin,
    );
    assert.match(
      page.body,
      /<h2>Platforms<\/h2>.*<td>linux\/arm64\/v8<\/td><td><a href="[^"]+artifacts\/sha256%3A/s,
    );
    assert.match(page.body, /<td>multi<\/td><td>[^<]+<\/td><td>never<\/td>/);
    const pulled = await ui.app.inject({
      method: 'GET',
      url: '/v2/secret/app/manifests/multi',
      headers: { authorization: auth, accept: 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(pulled.statusCode, 200);
    // The pull time is written after the answer (a pull waits for no write): on PostgreSQL it
    // may land a moment later.
    const shown = /<td>multi<\/td><td>[^<]+<\/td><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/td>/;
    const artifactPage = `/ui/projects/secret/repositories/app/artifacts/${encodeURIComponent(sha256Of(index))}`;
    let after = await get(artifactPage, admin);
    for (let i = 0; i < 50 && !shown.test(after.body); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await get(artifactPage, admin);
    }
    assert.match(after.body, shown);
  });

  it('keeps private projects private on artifact pages and in search', async () => {
    const path = `/ui/projects/secret/repositories/app/artifacts/${encodeURIComponent(image)}`;
    assert.equal((await get(path)).headers.location, '/ui/login');
    assert.equal((await get(path, dev)).statusCode, 403);
    const adminSearch = await get('/ui/search?q=app', admin);
    assert.match(adminSearch.body, />secret\/app<\/a>/);
    const devSearch = await get('/ui/search?q=o', dev);
    assert.doesNotMatch(devSearch.body, /secret\/app/);
    assert.match(devSearch.body, />open\/tool<\/a>/);
    const anonymous = await get('/ui/search?q=tool');
    assert.match(anonymous.body, />open\/tool<\/a>/);
    // LIKE wildcards are literal.
    assert.match((await get('/ui/search?q=%25', admin)).body, /0 repositories match/);
    const reflected = await get(`/ui/search?q=${encodeURIComponent(XSS)}`, admin);
    assert.doesNotMatch(reflected.body, /<img src=x/);
    assert.match(reflected.body, /&lt;img src=x/);
  });

  it('pages and searches the lists', async () => {
    const found = await get('/ui/?q=ope', admin);
    assert.match(found.body, />open<\/a>/);
    assert.doesNotMatch(found.body, />secret<\/a>/);
    assert.match(found.body, /page 1 of 1 \(1\)/);
    const devProjects = await get('/ui/', dev);
    assert.doesNotMatch(devProjects.body, />secret<\/a>/);
    const users = await get('/ui/users?q=de', admin);
    assert.match(users.body, /<td>dev<\/td>/);
    assert.doesNotMatch(users.body, /<td>admin<\/td>/);
    const repositories = await get('/ui/projects/secret?q=zzz', admin);
    assert.match(repositories.body, /page 1 of 1 \(0\)/);
  });

  it('runs garbage collection and lists the runs, for system admins only', async () => {
    assert.equal((await get('/ui/gc', dev)).statusCode, 403);
    assert.equal((await post('/ui/gc', dev, [['dry_run', 'true']])).statusCode, 403);
    const run = await post('/ui/gc', admin, [['dry_run', 'true']]);
    assert.equal(run.statusCode, 303);
    const list = await get('/ui/gc', admin);
    assert.match(list.body, /<td>1<\/td><td>[^<]+<\/td><td>[^<]+<\/td>\s*<td>dry run<\/td>/);
  });

  it('runs retention and manages webhooks with "change settings"', async () => {
    await post('/ui/projects/secret/members', admin, [
      ['username', 'dev'],
      ['role', 'developer'],
    ]);
    assert.equal((await get('/ui/projects/secret/retention', dev)).statusCode, 403);
    assert.equal((await post('/ui/projects/secret/retention', dev, [])).statusCode, 403);
    assert.equal((await get('/ui/projects/secret/webhooks', dev)).statusCode, 403);
    assert.doesNotMatch((await get('/ui/projects/secret', dev)).body, /Retention/);

    const dry = await post('/ui/projects/secret/retention', admin, [['dry_run', 'true']]);
    assert.match(dry.body, /Dry run: would delete 0 of 3 tags/);
    assert.match(
      (await get('/ui/projects/secret/retention', admin)).body,
      /dry run: would delete 0 of 3 tags/,
    );

    const bad = await post('/ui/projects/secret/webhooks', admin, [
      ['name', 'hook'],
      ['url', 'ftp://x'],
      ['event', 'PUSH_ARTIFACT'],
    ]);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /url: an http:\/\/ or https:\/\/ URL/);
    const created = await post('/ui/projects/secret/webhooks', admin, [
      ['name', 'hook'],
      ['url', `http://127.0.0.1:1/hook?x=${XSS}`],
      ['event', 'PUSH_ARTIFACT'],
    ]);
    assert.equal(created.statusCode, 201);
    assert.match(created.body, /shown only now/);
    assert.doesNotMatch(created.body, /<img/);
    const id = /href="\/ui\/projects\/secret\/webhooks\/(\d+)"/.exec(created.body)?.[1];
    assert.ok(id);
    // A push queues a delivery, which fails against port 1 and shows in the log.
    const auth = await bearer('secret/app');
    const config = await pushBlob('secret/app', auth, '{"os":"linux","n":2}');
    await putManifest('secret/app', auth, '2.0', imageManifest(config, []));
    // The push's audit entry queues the delivery after the push answers (on
    // PostgreSQL a round trip later), so the page is asked until it shows.
    let deliveries = await get(`/ui/projects/secret/webhooks/${id}`, admin);
    await eventually(async () => {
      deliveries = await get(`/ui/projects/secret/webhooks/${id}`, admin);
      return deliveries.body.includes('<td>PUSH_ARTIFACT</td>');
    });
    assert.equal(deliveries.statusCode, 200);
    assert.match(deliveries.body, /<td>PUSH_ARTIFACT<\/td>/);
    assert.equal((await get(`/ui/projects/secret/webhooks/${id}`, dev)).statusCode, 403);
    const delivery = /<td>(\d+)<\/td><td>PUSH_ARTIFACT<\/td>/.exec(deliveries.body)?.[1];
    assert.ok(delivery);
    const retry = `/ui/projects/secret/webhooks/${id}/deliveries/${delivery}/retry`;
    assert.equal((await post(retry, dev, [])).statusCode, 403);
    assert.equal(
      (await post(`/ui/projects/secret/webhooks/${id}/deliveries/999/retry`, admin, [])).statusCode,
      404,
    );
    assert.equal((await post(retry, admin, [])).statusCode, 303);
    assert.match(
      (await get('/ui/projects/secret/logs?operation=redeliver_webhook', admin)).body,
      /delivery \d+/,
    );
  });

  it('creates replication rules from the form, for system admins only', async () => {
    const fields: [string, string][] = [
      ['name', 'to-dr'],
      ['direction', 'push'],
      ['project', 'secret'],
      ['url', 'http://127.0.0.1:1'],
      ['repositories', 'app other'],
      ['trigger', 'manual'],
    ];
    assert.equal((await post('/ui/replication/rules', dev, fields)).statusCode, 403);
    const bad = await post('/ui/replication/rules', admin, [...fields.slice(0, 2), ['project', 'nope']]);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /project: the name of an existing project/);
    assert.equal((await post('/ui/replication/rules', admin, fields)).statusCode, 303);
    const page = await get('/ui/replication', admin);
    assert.match(page.body, /<td>to-dr<\/td>.*<td>app other<\/td>/s);
  });

  it('counts project storage as the quota does', async () => {
    const queries = createUiQueries(ui.server.governance!.db);
    const { store } = ui.server.governance!;
    for (const project of ['secret', 'open', 'nothing'])
      assert.deepEqual(await queries.usage(project), await store.usage(project));
    assert.ok((await queries.usage('secret')).used > 0);
  });

  it('searches through the repository name index, project by project', async () => {
    const who = [{ all: true as const }, { user: 'dev' }, { user: undefined }, { names: ['secret'] }];
    if (dialect === 'sqlite') {
      const queries = createUiQueries(ui.server.governance!.db);
      for (const caller of who) {
        const plan = (await queries.searchPlan(caller, 'app')).join('\n');
        assert.match(
          plan,
          /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_repositories_1 \(name>\? AND name<\?\)/,
          plan,
        );
      }
      return;
    }
    // A few rows are cheaper to read whole than through an index, so
    // PostgreSQL's planner is left only the nested loop over index lookups:
    // what is checked is that each project's name range is an index condition
    // (a collation mismatch, for one, would leave only a filter).
    await ui.server.governance!.db.transaction(async (tx) => {
      for (const method of ['seqscan', 'bitmapscan', 'material', 'hashjoin', 'mergejoin'])
        await tx.run(`SET LOCAL enable_${method} = off`);
      const queries = createUiQueries(tx);
      for (const caller of who) {
        const plan = (await queries.searchPlan(caller, 'app')).join('\n');
        assert.match(plan, /Index (Only )?Scan using repositories_name_key on repositories r/, plan);
        assert.match(plan, /Index Cond: \(\(name >= \(p\.name \|\| '\/'::text\)\) AND \(name < /, plan);
      }
    });
  });
}
