import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { verifyLogin } from '../auth/authenticator.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { GarbageCollector } from '../gc/collector.js';
import type { Registry } from '../service/registry.js';
import {
  checkPasswordPolicy,
  checkProjectName,
  checkUsername,
  type Governance,
  type Principal,
  ROBOT_NAME,
  ROBOT_PREFIX,
} from './governance.js';
import { isMemberRole, MEMBER_ROLES, type ProjectAction, ROBOT_ACTIONS } from './permissions.js';
import type { Replication } from './replication.js';
import type { DeleteTag } from './retention.js';
import type { Project } from './store.js';
import { artifactPages } from './ui-artifacts.js';
import {
  esc,
  formatBytes,
  PAGE_SIZE,
  pageOf,
  pager,
  repositoryPath,
  searchBox,
  type UiContext,
  url,
} from './ui-kit.js';
import { operationPages, replicationRuleForm } from './ui-operations.js';
import { createUiQueries, type Visibility } from './ui-queries.js';
import type { Webhooks } from './webhooks.js';

/** What the web UI is built from. */
export interface WebUiDeps {
  governance: Governance;
  limiter: LoginLimiter;
  /** Replication rules and runs (the Replication page) when present. */
  replication?: Replication;
  /** Manifests and blobs (artifact detail, referrers). */
  registry: Registry;
  /** The Garbage collection page (system admins) when present. */
  gc?: GarbageCollector;
  /** The Webhooks pages of projects when present. */
  webhooks?: Webhooks;
  /** Removes a tag (retention runs from the UI). */
  deleteTag: DeleteTag;
}

const SESSION_COOKIE = 'berth_session';
const SESSION_MS = 8 * 60 * 60 * 1000;
const USAGE_CACHE_MS = 30_000;

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#1d3557;color:#fff;
padding:.6em 1.2em;display:flex;gap:1.5em;align-items:center}header a{color:#fff}main{padding:1em 1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;
text-align:left}th{background:#f4f4f4}.bar{background:#e5e5e5;width:12em;height:.8em;display:inline-block}
.bar span{background:#2a9d8f;height:100%;display:block}.bar span.full{background:#e63946}code{font-size:.9em}
.error{color:#b00020}form.inline{display:inline}input,select,button{font:inherit;padding:.2em .4em}
nav a{margin-right:1em}.fail{color:#b00020}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}`;

/**
 * A small server-rendered web UI over the same governance decisions as the
 * API: log in, projects with quota bars, repositories and their artifacts,
 * members, robots, users, the audit log, replication; artifact detail and
 * search (ui-artifacts.ts), GC, retention, webhooks and the replication rule
 * form (ui-operations.ts). Long lists are paged in SQL (ui-queries.ts).
 * Sessions live in memory (a restart logs everyone out); the cookie is
 * HttpOnly and SameSite=Strict, and forms check Origin.
 */
export function webUi(deps: WebUiDeps): FastifyPluginAsync {
  const gov = deps.governance;
  const { store } = gov;
  const sessions = new Map<string, { name: string; expires: number }>();

  const principalOf = async (request: FastifyRequest): Promise<Principal> => {
    const id = cookie(request, SESSION_COOKIE);
    const session = id ? sessions.get(id) : undefined;
    if (!session || session.expires < Date.now()) return { kind: 'anonymous' };
    return await gov.principal(session.name);
  };
  const page = (reply: FastifyReply, who: Principal, title: string, body: string, status = 200) => {
    const name = gov.nameOf(who);
    const account = name
      ? `${esc(name)} <form class="inline" method="post" action="/ui/logout"><button>Log out</button></form>`
      : '<a href="/ui/login">Log in</a>';
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)} · berth-registry</title>` +
          `<style>${STYLE}</style></head><body><header><strong>berth-registry</strong>` +
          `<a href="/ui/">Projects</a><a href="/ui/search">Search</a>${gov.isSysadmin(who) ? `<a href="/ui/users">Users</a>${deps.replication ? '<a href="/ui/replication">Replication</a>' : ''}${deps.gc ? '<a href="/ui/gc">Garbage collection</a>' : ''}` : ''}` +
          `<span style="margin-left:auto">${account}</span></header>` +
          `<main><h1>${esc(title)}</h1>${body}</main></body></html>`,
      );
  };
  const refuse = (reply: FastifyReply, who: Principal, what: string) =>
    who.kind === 'anonymous'
      ? reply.redirect('/ui/login', 303)
      : page(reply, who, 'Not allowed', `<p class="error">${esc(what)}</p>`, 403);
  const visibleProject = async (who: Principal, name: string): Promise<Project | undefined> => {
    const project = await store.project(name);
    return project && (await gov.may(who, project, 'pull')) ? project : undefined;
  };
  /** Forms are same-origin only (with the SameSite cookie, this stops cross-site posts). */
  const sameOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin ?? request.headers.referer;
    if (!origin) return true;
    try {
      return new URL(origin).host === request.host;
    } catch {
      return false;
    }
  };
  const form = (request: FastifyRequest) =>
    request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
  const queries = createUiQueries(gov.db);
  // A project's storage is a walk over its repositories' blobs (milliseconds
  // for hundreds of repositories): pages reuse a figure for a while, and any
  // audited change in the project but a pull drops it.
  const usageCache = new Map<string, { at: number; value: { used: number; linked: number } }>();
  gov.onAudit((entry) => {
    if (entry.project && entry.operation !== 'pull') usageCache.delete(entry.project);
  });
  const usage = async (project: string) => {
    const cached = usageCache.get(project);
    if (cached && Date.now() - cached.at < USAGE_CACHE_MS) return cached.value;
    const value = await queries.usage(project);
    if (usageCache.size >= 10_000) usageCache.clear();
    usageCache.set(project, { at: Date.now(), value });
    return value;
  };
  const visibility = async (who: Principal): Promise<Visibility> => {
    if (gov.isSysadmin(who)) return { all: true };
    if (who.kind === 'robot') {
      const names: string[] = [];
      for (const p of await store.projects()) if (await gov.may(who, p, 'pull')) names.push(p.name);
      return { names };
    }
    return { user: who.kind === 'user' ? who.user.name : undefined };
  };
  const context: UiContext = {
    gov,
    queries,
    principalOf,
    page,
    refuse,
    visibleProject,
    form,
    visibility,
  };

  return async (app) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, done) => done(null, new URLSearchParams(String(body))),
    );
    app.addHook('preHandler', async (request, reply) => {
      if (request.method === 'POST' && !sameOrigin(request)) {
        return reply.code(403).type('text/plain').send('cross-origin form refused');
      }
    });

    app.get('/', async (_request, reply) => reply.redirect('/ui/', 302));

    app.get('/ui/login', async (request, reply) =>
      page(
        reply,
        await principalOf(request),
        'Log in',
        `<form method="post" action="/ui/login"><p><label>User <input name="username" autocomplete="username"></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password"></label></p>
<p><button>Log in</button></p></form>`,
      ),
    );
    app.post('/ui/login', async (request, reply) => {
      const fields = form(request);
      const user = fields.get('username') ?? '';
      try {
        await verifyLogin(
          gov.users,
          deps.limiter,
          { user, password: fields.get('password') ?? '' },
          request.ip,
        );
      } catch {
        return page(
          reply,
          { kind: 'anonymous' },
          'Log in',
          '<p class="error">Invalid user name or password.</p>',
          401,
        );
      }
      const id = randomBytes(24).toString('base64url');
      if (sessions.size > 10_000) sessions.clear();
      sessions.set(id, { name: user, expires: Date.now() + SESSION_MS });
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`,
      );
      return reply.redirect('/ui/', 303);
    });
    app.post('/ui/logout', async (request, reply) => {
      const id = cookie(request, SESSION_COOKIE);
      if (id) sessions.delete(id);
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.redirect('/ui/login', 303);
    });

    app.get<{ Querystring: Record<string, string | undefined> }>('/ui/', async (request, reply) => {
      const who = await principalOf(request);
      const q = request.query;
      const search = (q['q'] ?? '').slice(0, 200);
      const at = pageOf(q);
      const { total, rows } = await queries.projects(await visibility(who), search, PAGE_SIZE, at.offset);
      // The page's usage figures at once: on PostgreSQL each is a round trip.
      const list = await Promise.all(
        rows.map(async ({ project: p, repositories }) => {
          const { used } = await usage(p.name);
          const share = p.storageLimit > 0 ? Math.min(100, (used / p.storageLimit) * 100) : 0;
          const bar =
            p.storageLimit < 0
              ? ''
              : `<span class="bar" title="${share.toFixed(0)}%"><span class="${share >= 90 ? 'full' : ''}" style="width:${share.toFixed(1)}%"></span></span> `;
          return `<tr><td><a href="/ui/projects/${url(p.name)}">${esc(p.name)}</a></td><td>${p.public ? 'public' : 'private'}</td>
<td>${repositories}</td><td>${bar}${formatBytes(used)} of ${formatBytes(p.storageLimit)}</td></tr>`;
        }),
      );
      const create = gov.isSysadmin(who)
        ? `<h2>New project</h2><form method="post" action="/ui/projects"><input name="name" placeholder="name">
<label><input type="checkbox" name="public" value="true"> public</label>
<input name="limit" placeholder="quota MiB (empty: unlimited)"> <button>Create</button></form>`
        : '';
      return page(
        reply,
        who,
        'Projects',
        `${searchBox(search, 'project name')}<table><tr><th>Project</th><th>Access</th><th>Repositories</th><th>Storage</th></tr>${list.join('')}</table>
${pager(q, at.number, total)}${create}`,
      );
    });
    app.post('/ui/projects', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin creates projects.');
      const fields = form(request);
      const name = fields.get('name') ?? '';
      const limitMiB = fields.get('limit') ?? '';
      const limit = limitMiB === '' ? -1 : Math.round(Number(limitMiB) * 1024 * 1024);
      try {
        checkProjectName(name);
        if (!Number.isFinite(limit) || (limit < 0 && limit !== -1)) throw new Error('quota: a number of MiB');
        if (await store.project(name)) throw new Error(`project ${name} already exists`);
      } catch (err) {
        return page(reply, who, 'New project', `<p class="error">${esc((err as Error).message)}</p>`, 400);
      }
      await store.createProject(name, fields.get('public') === 'true', limit, gov.now());
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: 'create_project',
        project: name,
        resource: name,
        result: 'success',
        detail: `public=${fields.get('public') === 'true'} storage_limit=${limit}`,
      });
      return reply.redirect(`/ui/projects/${url(name)}`, 303);
    });

    const { replication } = deps;
    if (replication) {
      const time = (ms: number | null) =>
        ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
      const executionRows = async (list: Awaited<ReturnType<Replication['executions']>>) => {
        const policies = await replication.policies();
        return list
          .map(
            (e) =>
              `<tr><td><a href="/ui/replication/executions/${e.id}">${e.id}</a></td><td>${esc(policies.find((p) => p.id === e.policyId)?.name ?? e.policyId)}</td>
<td>${esc(e.trigger)}</td><td class="${e.status === 'failed' ? 'fail' : ''}">${esc(e.status)}</td><td>${e.succeeded}/${e.total}</td><td>${e.failed}</td><td>${time(e.startedAt)}</td><td>${time(e.finishedAt)}</td></tr>`,
          )
          .join('');
      };
      app.get('/ui/replication', async (request, reply) => {
        const who = await principalOf(request);
        if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages replication.');
        const rules = (await replication.policies())
          .map(
            (p) =>
              `<tr><td>${esc(p.name)}</td><td>${p.direction === 'push' ? `${esc(p.project)} → ${esc(p.remote.url)}/${esc(p.remoteNamespace)}` : `${esc(p.remote.url)}/${esc(p.remoteNamespace)} → ${esc(p.project)}`}</td>
<td>${esc(p.repositories.join(' ') || '*')}</td><td>${esc(p.tags.join(' ') || '*')}</td><td>${esc(p.trigger)}${p.schedule ? ` (${esc(p.schedule)})` : ''}${p.enabled ? '' : ', disabled'}</td>
<td><form class="inline" method="post" action="/ui/replication/${p.id}/run"><button>Run now</button></form></td></tr>`,
          )
          .join('');
        return page(
          reply,
          who,
          'Replication',
          `<table><tr><th>Rule</th><th>From → to</th><th>Repositories</th><th>Tags</th><th>Trigger</th><th></th></tr>${rules}</table>
${replicationRuleForm()}
<h2>Runs</h2><table><tr><th>Run</th><th>Rule</th><th>Trigger</th><th>Status</th><th>Copied</th><th>Failed</th><th>Started</th><th>Finished</th></tr>${await executionRows(await replication.executions())}</table>`,
        );
      });
      app.post<{ Params: { id: string } }>('/ui/replication/:id/run', async (request, reply) => {
        const who = await principalOf(request);
        if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages replication.');
        let started: { id: number };
        let policy: { project: string; name: string };
        try {
          policy = await replication.policy(Number(request.params.id));
          started = await replication.start(Number(request.params.id), 'manual');
        } catch (err) {
          return page(reply, who, 'Replication', `<p class="error">${esc((err as Error).message)}</p>`, 404);
        }
        gov.record({
          principal: who,
          remoteAddress: request.ip,
          operation: 'run_replication',
          project: policy.project,
          resource: policy.name,
          result: 'success',
          detail: `execution ${started.id}`,
        });
        return reply.redirect(`/ui/replication/executions/${started.id}`, 303);
      });
      app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>(
        '/ui/replication/executions/:id',
        async (request, reply) => {
          const who = await principalOf(request);
          if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages replication.');
          let execution: Awaited<ReturnType<Replication['execution']>>;
          try {
            execution = await replication.execution(Number(request.params.id));
          } catch (err) {
            return page(
              reply,
              who,
              'Replication run',
              `<p class="error">${esc((err as Error).message)}</p>`,
              404,
            );
          }
          const at = pageOf(request.query);
          const { total, rows } = await queries.replicationTasks(execution.id, PAGE_SIZE, at.offset);
          const tasks = rows
            .map(
              (t) =>
                `<tr><td>${esc(t.source)}:${esc(t.tag)}</td><td>${esc(t.destination)}</td><td class="${t.status === 'failed' ? 'fail' : ''}">${esc(t.status)}</td><td><code>${esc(t.digest ?? '')}</code></td><td>${esc(t.detail ?? '')}</td></tr>`,
            )
            .join('');
          const retry =
            execution.failed > 0 && execution.status !== 'running'
              ? `<form method="post" action="/ui/replication/executions/${execution.id}/retry"><button>Retry the failures</button></form>`
              : '';
          return page(
            reply,
            who,
            `Replication run ${execution.id}`,
            `<table><tr><th>Run</th><th>Rule</th><th>Trigger</th><th>Status</th><th>Copied</th><th>Failed</th><th>Started</th><th>Finished</th></tr>${await executionRows([execution])}</table>
<h2>Artifacts</h2><table><tr><th>Source</th><th>Destination</th><th>Result</th><th>Digest</th><th>Detail</th></tr>${tasks}</table>
${pager(request.query, at.number, total)}${retry}`,
          );
        },
      );
      app.post<{ Params: { id: string } }>('/ui/replication/executions/:id/retry', async (request, reply) => {
        const who = await principalOf(request);
        if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages replication.');
        try {
          const started = await replication.retry(Number(request.params.id));
          return reply.redirect(`/ui/replication/executions/${started.id}`, 303);
        } catch (err) {
          return page(reply, who, 'Replication', `<p class="error">${esc((err as Error).message)}</p>`, 404);
        }
      });
    }

    app.get<{ Querystring: Record<string, string | undefined> }>('/ui/users', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages users.');
      const q = request.query;
      const search = (q['q'] ?? '').slice(0, 200);
      const at = pageOf(q);
      const { total, rows } = await queries.users(search, PAGE_SIZE, at.offset);
      const list = rows.map(
        (u) =>
          `<tr><td>${esc(u.name)}</td><td>${u.sysadmin ? 'system admin' : ''}</td><td>${esc(u.projects)}</td></tr>`,
      );
      return page(
        reply,
        who,
        'Users',
        `${searchBox(search, 'user name')}<table><tr><th>User</th><th>Role</th><th>Projects</th></tr>${list.join('')}</table>
${pager(q, at.number, total)}
<h2>New user</h2><form method="post" action="/ui/users"><input name="username" placeholder="user name">
<input type="password" name="password" placeholder="password" autocomplete="new-password"> <button>Create</button></form>
<p>Passwords: 8 to 128 characters with an upper-case letter, a lower-case letter and a digit.</p>`,
      );
    });
    app.post('/ui/users', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages users.');
      const fields = form(request);
      let username: string;
      try {
        username = checkUsername(fields.get('username'));
        const password = checkPasswordPolicy(fields.get('password'));
        if (await store.user(username)) throw new Error(`user ${username} already exists`);
        await store.createUser(username, await gov.hash(password), false, gov.now());
      } catch (err) {
        return page(reply, who, 'New user', `<p class="error">${esc((err as Error).message)}</p>`, 400);
      }
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: 'create_user',
        resource: username,
        result: 'success',
      });
      return reply.redirect('/ui/users', 303);
    });

    app.get<{ Params: { project: string }; Querystring: Record<string, string | undefined> }>(
      '/ui/projects/:project',
      async (request, reply) => {
        const who = await principalOf(request);
        const project = await visibleProject(who, request.params.project);
        if (!project) return refuse(reply, who, 'No such project, or you may not see it.');
        const host = request.host;
        const q = request.query;
        const search = (q['q'] ?? '').slice(0, 200);
        const at = pageOf(q);
        const { total, rows } = await queries.repositories(project.name, search, PAGE_SIZE, at.offset);
        const repos = rows.map(
          (r) =>
            `<tr><td><a href="${repositoryPath(r.name)}">${esc(r.name)}</a></td>
<td>${r.artifacts}</td><td>${r.tags}</td><td><code>docker pull ${esc(host)}/${esc(r.name)}</code></td></tr>`,
        );
        const base = `/ui/projects/${url(project.name)}`;
        const links = [
          (await gov.may(who, project, 'read audit log'))
            ? `<a href="${base}/members">Members</a><a href="${base}/logs">Audit log</a>`
            : '',
          (await gov.may(who, project, 'manage robots')) ? `<a href="${base}/robots">Robot accounts</a>` : '',
          (await gov.may(who, project, 'change settings'))
            ? `<a href="${base}/retention">Retention</a>${deps.webhooks ? `<a href="${base}/webhooks">Webhooks</a>` : ''}`
            : '',
        ].join('');
        const { used, linked } = await usage(project.name);
        return page(
          reply,
          who,
          `Project ${project.name}`,
          `<nav>${links}</nav><p>${project.public ? 'Public' : 'Private'}; storage ${formatBytes(used)} of ${formatBytes(project.storageLimit)}${linked > used ? ` (${formatBytes(linked - used)} pending)` : ''}.</p>
${searchBox(search, 'repository name')}<table><tr><th>Repository</th><th>Artifacts</th><th>Tags</th><th>Pull</th></tr>${repos.join('')}</table>
${pager(q, at.number, total)}`,
        );
      },
    );

    app.get<{
      Params: { project: string; repository: string };
      Querystring: Record<string, string | undefined>;
    }>('/ui/projects/:project/repositories/:repository', async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project) return refuse(reply, who, 'No such project, or you may not see it.');
      const name = `${project.name}/${request.params.repository}`;
      const q = request.query;
      const at = pageOf(q);
      const { total, rows } = await queries.artifacts(name, PAGE_SIZE, at.offset);
      const list = rows.map(
        (a) =>
          `<tr><td><a href="${repositoryPath(name)}/artifacts/${url(a.digest)}"><code>${esc(a.digest.slice(0, 19))}…</code></a></td><td>${a.tags.map(esc).join(', ')}</td>
<td>${esc(a.artifactType ?? a.mediaType)}</td><td>${formatBytes(a.size)}</td><td>${esc(new Date(a.pushedAt).toISOString())}</td>
<td><code>docker pull ${esc(request.host)}/${esc(name)}${a.tags[0] ? `:${esc(a.tags[0])}` : `@${esc(a.digest)}`}</code></td></tr>`,
      );
      return page(
        reply,
        who,
        name,
        `<table><tr><th>Digest</th><th>Tags</th><th>Type</th><th>Size</th><th>Pushed</th><th>Pull</th></tr>${list.join('')}</table>
${pager(q, at.number, total)}`,
      );
    });

    artifactPages(app, context, deps.registry);
    operationPages(app, context, {
      ...(deps.gc ? { gc: deps.gc } : {}),
      ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
      ...(deps.replication ? { replication: deps.replication } : {}),
      deleteTag: deps.deleteTag,
    });

    app.get<{ Params: { project: string } }>('/ui/projects/:project/members', async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project || !(await gov.may(who, project, 'read audit log')))
        return refuse(reply, who, 'You may not see the members of this project.');
      const rows = (await store.members(project.name)).map(
        (m) => `<tr><td>${esc(m.username)}</td><td>${esc(m.role)}</td></tr>`,
      );
      const add = (await gov.may(who, project, 'manage members'))
        ? `<h2>Add or change a member</h2><form method="post" action="/ui/projects/${url(project.name)}/members">
<input name="username" placeholder="user"> <select name="role">${MEMBER_ROLES.map((r) => `<option>${r}</option>`).join('')}</select>
<button>Save</button></form>`
        : '';
      return page(
        reply,
        who,
        `Members of ${project.name}`,
        `<table><tr><th>User</th><th>Role</th></tr>${rows.join('')}</table>${add}`,
      );
    });
    app.post<{ Params: { project: string } }>('/ui/projects/:project/members', async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project || !(await gov.may(who, project, 'manage members')))
        return refuse(reply, who, 'You may not manage the members of this project.');
      const fields = form(request);
      const username = fields.get('username') ?? '';
      const role = fields.get('role');
      if (!(await store.user(username)) || !isMemberRole(role))
        return page(
          reply,
          who,
          'Members',
          '<p class="error">username: no such user, or role: unknown role</p>',
          400,
        );
      const existed = (await store.role(project.name, username)) !== undefined;
      await store.setMember(project.name, username, role);
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: existed ? 'update_member' : 'add_member',
        project: project.name,
        resource: username,
        result: 'success',
        detail: `role=${role}`,
      });
      return reply.redirect(`/ui/projects/${url(project.name)}/members`, 303);
    });

    const robotsPage = async (
      reply: FastifyReply,
      who: Principal,
      project: Project,
      notice = '',
      status = 200,
    ) => {
      const rows = (await store.robots(project.name)).map(
        (r) =>
          `<tr><td>${esc(r.name)}</td><td>${esc(r.permissions.map((p) => p.action).join(', '))}</td>
<td>${r.expiresAt ? esc(new Date(r.expiresAt).toISOString()) : 'never'}</td></tr>`,
      );
      const boxes = ROBOT_ACTIONS.map(
        (a) =>
          `<label><input type="checkbox" name="action" value="${esc(a)}"${a === 'pull' ? ' checked' : ''}> ${esc(a)}</label>`,
      ).join(' ');
      return page(
        reply,
        who,
        `Robot accounts of ${project.name}`,
        `${notice}<table><tr><th>Name</th><th>Permissions</th><th>Expires</th></tr>${rows.join('')}</table>
<h2>New robot account</h2><form method="post" action="/ui/projects/${url(project.name)}/robots">
<p><input name="name" placeholder="name"> <input name="days" placeholder="expires in days (empty: never)"></p>
<p>${boxes}</p><p><button>Create</button></p></form>`,
        status,
      );
    };
    app.get<{ Params: { project: string } }>('/ui/projects/:project/robots', async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project || !(await gov.may(who, project, 'manage robots')))
        return refuse(reply, who, 'You may not manage the robot accounts of this project.');
      return robotsPage(reply, who, project);
    });
    app.post<{ Params: { project: string } }>('/ui/projects/:project/robots', async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project || !(await gov.may(who, project, 'manage robots')))
        return refuse(reply, who, 'You may not manage the robot accounts of this project.');
      const fields = form(request);
      const name = fields.get('name') ?? '';
      const days = fields.get('days') ?? '';
      const actions = fields.getAll('action');
      const fullName = `${ROBOT_PREFIX}${project.name}+${name}`;
      const problem = !ROBOT_NAME.test(name)
        ? 'name: 1 to 64 lower-case letters, digits, ".", "_" or "-"'
        : days !== '' && !/^[1-9]\d{0,4}$/.test(days)
          ? 'days: a positive number of days, or empty for never'
          : actions.length === 0 || actions.some((a) => !(ROBOT_ACTIONS as readonly string[]).includes(a))
            ? `permissions: one or more of ${ROBOT_ACTIONS.join(', ')}`
            : (await store.robot(fullName))
              ? `robot ${fullName} already exists`
              : undefined;
      if (problem) return robotsPage(reply, who, project, `<p class="error">${esc(problem)}</p>`, 400);
      const secret = randomBytes(24).toString('base64url');
      const robot = await store.createRobot({
        name: fullName,
        project: project.name,
        secretHash: await gov.hash(secret),
        description: '',
        expiresAt: days === '' ? undefined : gov.now() + Number(days) * 86_400_000,
        createdAt: gov.now(),
        permissions: actions.map((action) => ({ project: project.name, action: action as ProjectAction })),
      });
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: 'create_robot',
        project: project.name,
        resource: robot.name,
        result: 'success',
        detail: JSON.stringify(robot.permissions),
      });
      // Shown on this page only: the secret is not stored, only its bcrypt hash.
      const notice = `<p><strong>Secret of ${esc(robot.name)}</strong> (shown only now): <code>${esc(secret)}</code><br>
<code>docker login -u '${esc(robot.name)}' ${esc(request.host)}</code></p>`;
      return robotsPage(reply, who, project, notice, 201);
    });

    app.get<{ Params: { project: string }; Querystring: Record<string, string | undefined> }>(
      '/ui/projects/:project/logs',
      async (request, reply) => {
        const who = await principalOf(request);
        const project = await visibleProject(who, request.params.project);
        if (!project || !(await gov.may(who, project, 'read audit log')))
          return refuse(reply, who, 'You may not read the audit log of this project.');
        const q = request.query;
        const pageNumber = Math.max(1, Number(q['page'] ?? 1) || 1);
        const { total, entries } = await store.audit({
          project: project.name,
          ...(q['username'] ? { username: q['username'] } : {}),
          ...(q['operation'] ? { operation: q['operation'] } : {}),
          limit: 100,
          offset: (pageNumber - 1) * 100,
        });
        const rows = entries.map(
          (e) =>
            `<tr><td>${esc(new Date(e.time).toISOString())}</td><td>${esc(e.username ?? '(anonymous)')}</td><td>${esc(e.remoteAddress)}</td>
<td>${esc(e.operation)}</td><td>${esc(e.resource)}</td><td class="${e.result === 'failure' ? 'fail' : ''}">${esc(e.result)}</td><td>${esc(e.detail)}</td></tr>`,
        );
        const next =
          pageNumber * 100 < total
            ? `<a href="?${new URLSearchParams({ ...(q as Record<string, string>), page: String(pageNumber + 1) })}">Older</a>`
            : '';
        return page(
          reply,
          who,
          `Audit log of ${project.name}`,
          `<form method="get"><input name="username" placeholder="user" value="${esc(q['username'])}">
<input name="operation" placeholder="operation" value="${esc(q['operation'])}"> <button>Filter</button></form>
<p>${total} entries</p><table><tr><th>Time</th><th>User</th><th>From</th><th>Operation</th><th>Resource</th><th>Result</th><th>Detail</th></tr>${rows.join('')}</table>${next}`,
        );
      },
    );
  };
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
