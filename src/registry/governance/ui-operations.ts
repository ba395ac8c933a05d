import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GarbageCollector } from '../gc/collector.js';
import type { Principal } from './governance.js';
import type { Replication } from './replication.js';
import { type DeleteTag, runRetention } from './retention.js';
import type { Project } from './store.js';
import { esc, formatBytes, PAGE_SIZE, pageOf, pager, time, type UiContext, url } from './ui-kit.js';
import { WEBHOOK_EVENTS, type Webhooks } from './webhooks.js';

export interface OperationDeps {
  gc?: GarbageCollector;
  webhooks?: Webhooks;
  replication?: Replication;
  deleteTag: DeleteTag;
}

type Query = Record<string, string | undefined>;

/** Splits a form field of space- or comma-separated patterns. */
const patterns = (value: string | null) => (value ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * Operations pages, each behind the same permission as its API:
 * garbage collection (system admins: `registry:gc:*`), retention runs and
 * webhooks (the matrix's "change settings"), creating replication rules
 * (system admins).
 */
export function operationPages(app: FastifyInstance, ui: UiContext, deps: OperationDeps): void {
  const { gov, principalOf, page, refuse, visibleProject, form, queries } = ui;
  const { store } = gov;
  const error = (reply: FastifyReply, who: Principal, title: string, err: unknown, status = 400) =>
    page(
      reply,
      who,
      title,
      `<p class="error">${esc(err instanceof Error ? err.message : String(err))}</p>`,
      status,
    );
  /** The project of the route when the caller may change its settings. */
  const settingsProject = async (
    request: FastifyRequest<{ Params: { project: string } }>,
    who: Principal,
  ) => {
    const project = await visibleProject(who, request.params.project);
    return project && (await gov.may(who, project, 'change settings')) ? project : undefined;
  };
  const NOT_SETTINGS = 'You may not change the settings of this project.';

  const { gc } = deps;
  if (gc) {
    app.get<{ Querystring: Query }>('/ui/gc', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin runs garbage collection.');
      const at = pageOf(request.query);
      const { total, rows } = await queries.gcRuns(PAGE_SIZE, at.offset);
      const list = rows
        .map(
          (r) =>
            `<tr><td>${r.id}</td><td>${time(r.startedAt)}</td><td>${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s</td>
<td>${r.dryRun ? 'dry run' : ''}</td><td>${r.manifestsDeleted}</td><td>${r.linksDeleted}</td><td>${r.blobsDeleted}</td><td>${formatBytes(r.bytesFreed)}</td></tr>`,
        )
        .join('');
      return page(
        reply,
        who,
        'Garbage collection',
        `<form method="post" action="/ui/gc"><label><input type="checkbox" name="dry_run" value="true"> dry run</label>
<label><input type="checkbox" name="delete_untagged" value="true"> also delete untagged manifests</label> <button>Run now</button></form>
<h2>Runs</h2><table><tr><th>Run</th><th>Started</th><th>Took</th><th></th><th>Manifests</th><th>Links</th><th>Blobs</th><th>Freed</th></tr>${list}</table>
${pager(request.query, at.number, total)}`,
      );
    });
    app.post('/ui/gc', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin runs garbage collection.');
      const fields = form(request);
      const options = {
        dryRun: fields.get('dry_run') === 'true',
        deleteUntagged: fields.get('delete_untagged') === 'true',
      };
      try {
        const report = await gc.run(options);
        gov.record({
          principal: who,
          remoteAddress: request.ip,
          operation: 'gc_run',
          resource: 'registry',
          result: 'success',
          detail: `${options.dryRun ? 'dry run: ' : ''}${report.blobsDeleted} blobs, ${report.bytesFreed} bytes`,
        });
      } catch (err) {
        return error(reply, who, 'Garbage collection', err, 500);
      }
      return reply.redirect('/ui/gc', 303);
    });
  }

  const retentionPage = async (
    reply: FastifyReply,
    who: Principal,
    project: Project,
    query: Query,
    notice = '',
  ) => {
    const at = pageOf(query);
    const { total, entries } = await store.audit({
      project: project.name,
      operation: 'retention_run',
      limit: PAGE_SIZE,
      offset: at.offset,
    });
    const policy = project.settings.retention;
    const rules = policy
      ? [
          policy.keepLast !== undefined ? `keep the ${policy.keepLast} newest tags of each repository` : '',
          policy.keepDays !== undefined ? `keep tags pushed within ${policy.keepDays} days` : '',
          policy.keepPulledDays !== undefined ? `keep tags pulled within ${policy.keepPulledDays} days` : '',
          policy.keepTags?.length ? `keep tags matching ${policy.keepTags.join(' ')}` : '',
          policy.schedule ? `runs ${policy.schedule}` : 'runs by hand only',
        ]
          .filter(Boolean)
          .map((r) => `<li>${esc(r)}</li>`)
          .join('')
      : '';
    const list = entries
      .map(
        (e) =>
          `<tr><td>${time(e.time)}</td><td>${esc(e.username ?? (e.remoteAddress === 'scheduler' ? '(schedule)' : '(anonymous)'))}</td><td>${esc(e.detail)}</td></tr>`,
      )
      .join('');
    return page(
      reply,
      who,
      `Retention of ${project.name}`,
      `${notice}${policy ? `<ul>${rules}</ul>` : '<p>No retention policy: a run deletes nothing. Set one with <code>PUT /api/v2.0/projects/{project}</code>.</p>'}
<form method="post" action="/ui/projects/${url(project.name)}/retention"><label><input type="checkbox" name="dry_run" value="true" checked> dry run</label> <button>Run now</button></form>
<h2>Runs</h2><table><tr><th>Time</th><th>By</th><th>Result</th></tr>${list}</table>${pager(query, at.number, total)}`,
    );
  };
  app.get<{ Params: { project: string }; Querystring: Query }>(
    '/ui/projects/:project/retention',
    async (request, reply) => {
      const who = await principalOf(request);
      const project = await settingsProject(request, who);
      if (!project) return refuse(reply, who, NOT_SETTINGS);
      return retentionPage(reply, who, project, request.query);
    },
  );
  app.post<{ Params: { project: string } }>('/ui/projects/:project/retention', async (request, reply) => {
    const who = await principalOf(request);
    const project = await settingsProject(request, who);
    if (!project) return refuse(reply, who, NOT_SETTINGS);
    const dryRun = form(request).get('dry_run') === 'true';
    const report = await runRetention(gov, deps.deleteTag, project, {
      dryRun,
      principal: who,
      remoteAddress: request.ip,
    });
    const rows = report.decisions
      .slice(0, 500)
      .map(
        (d) =>
          `<tr><td>${esc(d.repository)}:${esc(d.tag)}</td><td class="${d.action === 'delete' ? 'fail' : ''}">${esc(d.action)}</td><td>${esc(d.reason)}</td></tr>`,
      )
      .join('');
    const notice = `<p>${dryRun ? 'Dry run: would delete' : 'Deleted'} ${report.deleted} of ${report.decisions.length} tags.</p>
${rows ? `<table><tr><th>Tag</th><th>Action</th><th>Why</th></tr>${rows}</table>` : ''}`;
    return retentionPage(reply, who, project, {}, notice);
  });

  const { webhooks } = deps;
  if (webhooks) {
    const webhooksPage = async (
      reply: FastifyReply,
      who: Principal,
      project: Project,
      notice = '',
      status = 200,
    ) => {
      const base = `/ui/projects/${url(project.name)}/webhooks`;
      const rows = (await webhooks.policies(project.name))
        .map(
          (p) =>
            `<tr><td><a href="${base}/${p.id}">${esc(p.name)}</a></td><td>${esc(p.url)}</td><td>${esc(p.events.join(' '))}</td><td>${p.enabled ? 'enabled' : 'disabled'}</td></tr>`,
        )
        .join('');
      const boxes = WEBHOOK_EVENTS.map(
        (e) => `<label><input type="checkbox" name="event" value="${esc(e)}" checked> ${esc(e)}</label>`,
      ).join(' ');
      return page(
        reply,
        who,
        `Webhooks of ${project.name}`,
        `${notice}<table><tr><th>Name</th><th>URL</th><th>Events</th><th></th></tr>${rows}</table>
<h2>New webhook</h2><form method="post" action="${base}"><p><input name="name" placeholder="name"> <input name="url" placeholder="https://…" size="40"></p>
<p>${boxes}</p><p><input name="secret" placeholder="secret (empty: generated)" autocomplete="off"> <button>Create</button></p></form>`,
        status,
      );
    };
    app.get<{ Params: { project: string } }>('/ui/projects/:project/webhooks', async (request, reply) => {
      const who = await principalOf(request);
      const project = await settingsProject(request, who);
      if (!project) return refuse(reply, who, NOT_SETTINGS);
      return webhooksPage(reply, who, project);
    });
    app.post<{ Params: { project: string } }>('/ui/projects/:project/webhooks', async (request, reply) => {
      const who = await principalOf(request);
      const project = await settingsProject(request, who);
      if (!project) return refuse(reply, who, NOT_SETTINGS);
      const fields = form(request);
      const secret = fields.get('secret') ?? '';
      let created: Awaited<ReturnType<Webhooks['create']>>;
      try {
        created = await webhooks.create(project.name, {
          name: fields.get('name') ?? '',
          url: fields.get('url') ?? '',
          events: fields.getAll('event'),
          ...(secret ? { secret } : {}),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return webhooksPage(reply, who, project, `<p class="error">${esc(message)}</p>`, 400);
      }
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: 'create_webhook',
        project: project.name,
        resource: created.policy.name,
        result: 'success',
        detail: created.policy.url,
      });
      // Shown this once, like a robot's secret.
      const notice = `<p><strong>Secret of ${esc(created.policy.name)}</strong> (shown only now): <code>${esc(created.secret)}</code></p>`;
      return webhooksPage(reply, who, project, notice, 201);
    });
    app.get<{ Params: { project: string; id: string }; Querystring: Query }>(
      '/ui/projects/:project/webhooks/:id',
      async (request, reply) => {
        const who = await principalOf(request);
        const project = await settingsProject(request, who);
        if (!project) return refuse(reply, who, NOT_SETTINGS);
        let policy: Awaited<ReturnType<Webhooks['policy']>>;
        try {
          policy = await webhooks.policy(project.name, Number(request.params.id));
        } catch (err) {
          return error(reply, who, 'Webhook', err, 404);
        }
        const at = pageOf(request.query);
        const { total, rows } = await queries.deliveries(policy.id, PAGE_SIZE, at.offset);
        const list = rows
          .map(
            (d) =>
              `<tr><td>${d.id}</td><td>${esc(d.event)}</td><td class="${d.status === 'failed' ? 'fail' : ''}">${esc(d.status)}</td><td>${d.attempts}</td>
<td>${esc(d.lastStatus ?? '')}</td><td>${esc(d.lastError ?? '')}</td><td>${time(d.createdAt)}</td><td>${time(d.deliveredAt)}</td>
<td>${d.status === 'failed' ? `<form class="inline" method="post" action="/ui/projects/${url(project.name)}/webhooks/${policy.id}/deliveries/${d.id}/retry"><button>Redeliver</button></form>` : ''}</td></tr>`,
          )
          .join('');
        return page(
          reply,
          who,
          `Webhook ${policy.name}`,
          `<p><a href="/ui/projects/${url(project.name)}/webhooks">All webhooks of ${esc(project.name)}</a></p>
<dl><dt>URL</dt><dd>${esc(policy.url)}</dd><dt>Events</dt><dd>${esc(policy.events.join(' '))}</dd><dt>State</dt><dd>${policy.enabled ? 'enabled' : 'disabled'}</dd></dl>
<h2>Deliveries</h2><table><tr><th>#</th><th>Event</th><th>Status</th><th>Attempts</th><th>HTTP</th><th>Error</th><th>Queued</th><th>Delivered</th><th></th></tr>${list}</table>
${pager(request.query, at.number, total)}`,
        );
      },
    );
    app.post<{ Params: { project: string; id: string; delivery: string } }>(
      '/ui/projects/:project/webhooks/:id/deliveries/:delivery/retry',
      async (request, reply) => {
        const who = await principalOf(request);
        const project = await settingsProject(request, who);
        if (!project) return refuse(reply, who, NOT_SETTINGS);
        let queued: Awaited<ReturnType<Webhooks['redeliver']>>;
        let policy: Awaited<ReturnType<Webhooks['policy']>>;
        try {
          policy = await webhooks.policy(project.name, Number(request.params.id));
          queued = await webhooks.redeliver(policy.id, Number(request.params.delivery));
        } catch (err) {
          return error(reply, who, 'Webhook', err, 404);
        }
        gov.record({
          principal: who,
          remoteAddress: request.ip,
          operation: 'redeliver_webhook',
          project: project.name,
          resource: policy.name,
          result: 'success',
          detail: `delivery ${queued.id}`,
        });
        return reply.redirect(`/ui/projects/${url(project.name)}/webhooks/${policy.id}`, 303);
      },
    );
  }

  const { replication } = deps;
  if (replication) {
    app.post('/ui/replication/rules', async (request, reply) => {
      const who = await principalOf(request);
      if (!gov.isSysadmin(who)) return refuse(reply, who, 'Only a system admin manages replication.');
      const fields = form(request);
      const optional = (key: string) => {
        const value = fields.get(key) ?? '';
        return value === '' ? {} : { [key]: value };
      };
      const trigger = fields.get('trigger') ?? 'manual';
      let created: Awaited<ReturnType<Replication['createPolicy']>>;
      try {
        created = await replication.createPolicy({
          name: fields.get('name') ?? '',
          direction: fields.get('direction') ?? '',
          project: fields.get('project') ?? '',
          remote: { url: fields.get('url') ?? '', ...optional('username'), ...optional('password') },
          ...optional('remote_namespace'),
          repositories: patterns(fields.get('repositories')),
          tags: patterns(fields.get('tags')),
          trigger,
          ...(trigger === 'scheduled' ? { schedule: fields.get('schedule') ?? '' } : {}),
        });
      } catch (err) {
        return error(reply, who, 'New replication rule', err);
      }
      gov.record({
        principal: who,
        remoteAddress: request.ip,
        operation: 'create_replication_policy',
        project: created.project,
        resource: created.name,
        result: 'success',
        detail: created.remote.url,
      });
      return reply.redirect('/ui/replication', 303);
    });
  }
}

/** The rule-creation form of the Replication page. */
export function replicationRuleForm(): string {
  return `<h2>New rule</h2><form method="post" action="/ui/replication/rules"><dl>
<dt>Name</dt><dd><input name="name" placeholder="to-dr"></dd>
<dt>Direction</dt><dd><select name="direction"><option value="push">push: local → remote</option><option value="pull">pull: remote → local</option></select></dd>
<dt>Local project</dt><dd><input name="project" placeholder="team"></dd>
<dt>Remote registry</dt><dd><input name="url" placeholder="https://host:port" size="30"> <input name="username" placeholder="user" autocomplete="off">
<input type="password" name="password" placeholder="password" autocomplete="new-password"></dd>
<dt>Remote namespace</dt><dd><input name="remote_namespace" size="30" placeholder="empty: the project's name"></dd>
<dt>Repositories</dt><dd><input name="repositories" size="30" placeholder="patterns; empty: all"></dd>
<dt>Tags</dt><dd><input name="tags" size="30" placeholder="patterns; empty: all"></dd>
<dt>Trigger</dt><dd><select name="trigger"><option value="manual">manual</option><option value="event_based">on push</option><option value="scheduled">scheduled</option></select>
<select name="schedule"><option>hourly</option><option>daily</option><option>weekly</option></select> (schedule of a scheduled rule)</dd>
</dl><p><button>Create rule</button></p></form>`;
}
