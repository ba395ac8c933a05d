import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { invalidArgument, notFound } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type ColumnTypes, columnTypesOf } from './column-types.js';
import type { GovernanceDatabase } from './database.js';
import { describeError } from './remote.js';
import type { ReplicationExecution, ReplicationPolicy } from './replication.js';
import type { ApiHelpers } from './replication-api.js';
import type { AuditEntry } from './store.js';

/** Harbor's event type names. */
export const WEBHOOK_EVENTS = [
  'PUSH_ARTIFACT',
  'PULL_ARTIFACT',
  'DELETE_ARTIFACT',
  'QUOTA_EXCEED',
  'REPLICATION',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The header carrying `sha256=HEX`, the HMAC-SHA256 of the body under the policy's secret. */
export const SIGNATURE_HEADER = 'x-berth-signature';

export interface WebhookPolicy {
  id: number;
  project: string;
  name: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  createdAt: number;
}

export interface WebhookDelivery {
  id: number;
  policyId: number;
  event: WebhookEvent;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

/** The webhook tables, as {@link ColumnTypes} writes them on either database. */
const schema = ({ serial, int64 }: ColumnTypes) => `
  CREATE TABLE IF NOT EXISTS webhook_policies (
    id ${serial},
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at ${int64} NOT NULL,
    UNIQUE (project, name)
  );
  CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id ${serial},
    policy_id ${int64} NOT NULL REFERENCES webhook_policies(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at ${int64} NOT NULL,
    next_attempt_at ${int64},
    delivered_at ${int64}
  );
  CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
  CREATE INDEX IF NOT EXISTS webhook_deliveries_by_policy ON webhook_deliveries(policy_id, id);
`;

/** Waits before the 2nd, 3rd, … attempt; after the last the delivery is `failed`. */
export const DEFAULT_BACKOFF_MS = [1_000, 10_000, 60_000, 300_000];

export interface WebhooksDeps {
  db: GovernanceDatabase;
  logger: Logger;
  backoffMs?: readonly number[];
  timeoutMs?: number;
  now?: () => number;
}

export interface Webhooks {
  /** Audit entries become events (push, pull, delete, quota exceeded). */
  onAudit(entry: Omit<AuditEntry, 'id'>): void;
  onReplication(policy: ReplicationPolicy, execution: ReplicationExecution): void;
  policies(project: string): Promise<WebhookPolicy[]>;
  /** Creates a policy; the secret (given or generated) is returned this once. */
  create(project: string, input: unknown): Promise<{ policy: WebhookPolicy; secret: string }>;
  update(project: string, id: number, input: unknown): Promise<WebhookPolicy>;
  remove(project: string, id: number): Promise<void>;
  policy(project: string, id: number): Promise<WebhookPolicy>;
  deliveries(policyId: number, limit?: number): Promise<WebhookDelivery[]>;
  /** Queues a delivery again (a new attempt now). */
  redeliver(policyId: number, deliveryId: number): Promise<WebhookDelivery>;
  /** Resolves when no event is being queued and no delivery is being attempted. */
  idle(): Promise<void>;
  close(): void;
}

/** HMAC-SHA256 of `body` under `secret`, as sent in {@link SIGNATURE_HEADER}. */
export const signatureOf = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Webhook policies per project and their deliveries (signed, logged, retried with backoff). */
export async function createWebhooks(deps: WebhooksDeps): Promise<Webhooks> {
  const { db, logger } = deps;
  const now = deps.now ?? Date.now;
  const backoff = deps.backoffMs ?? DEFAULT_BACKOFF_MS;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  await db.exec(schema(columnTypesOf(db)));

  type PolicyRow = {
    id: number;
    project: string;
    name: string;
    url: string;
    secret: string;
    events: string;
    enabled: number;
    created_at: number;
  };
  const toPolicy = (r: PolicyRow): WebhookPolicy => ({
    id: r.id,
    project: r.project,
    name: r.name,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEvent[],
    enabled: r.enabled === 1,
    createdAt: r.created_at,
  });
  const row = async (project: string, id: number) => {
    const found = await db.get<PolicyRow>('SELECT * FROM webhook_policies WHERE id = ? AND project = ?', [
      id,
      project,
    ]);
    if (!found) throw notFound(`webhook policy ${id} not found in project ${project}`);
    return found;
  };
  const toDelivery = (r: Record<string, unknown>): WebhookDelivery => ({
    id: r['id'] as number,
    policyId: r['policy_id'] as number,
    event: r['event'] as WebhookEvent,
    payload: r['payload'] as string,
    status: r['status'] as WebhookDelivery['status'],
    attempts: r['attempts'] as number,
    lastStatus: (r['last_status'] as number | null) ?? null,
    lastError: (r['last_error'] as string | null) ?? null,
    createdAt: r['created_at'] as number,
    nextAttemptAt: (r['next_attempt_at'] as number | null) ?? null,
    deliveredAt: (r['delivered_at'] as number | null) ?? null,
  });

  const check = (input: unknown, existing?: WebhookPolicy & { secret?: string }) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw invalidArgument('body: a JSON object');
    const i = input as Record<string, unknown>;
    const unknown = Object.keys(i).filter((k) => !['name', 'url', 'secret', 'events', 'enabled'].includes(k));
    if (unknown.length > 0) throw invalidArgument(`${unknown[0]}: unknown key`);
    const name = i['name'] ?? existing?.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
      throw invalidArgument('name: 1 to 64 letters, digits, ".", "_" or "-"');
    const url = i['url'] ?? existing?.url;
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(url));
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
      throw invalidArgument('url: an http:// or https:// URL');
    const events = i['events'] ?? existing?.events;
    if (
      !Array.isArray(events) ||
      events.length === 0 ||
      events.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e))
    )
      throw invalidArgument(`events: a non-empty list of ${WEBHOOK_EVENTS.join(', ')}`);
    const secret = i['secret'];
    if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16))
      throw invalidArgument('secret: at least 16 characters (leave it out to have one generated)');
    const enabled = i['enabled'] ?? existing?.enabled ?? true;
    if (typeof enabled !== 'boolean') throw invalidArgument('enabled: true or false');
    return { name, url: parsed.toString(), events: [...new Set(events)] as WebhookEvent[], secret, enabled };
  };

  // Delivery: one attempt per due delivery; a timer picks up what is due (also after a restart).
  const attempting = new Set<Promise<void>>();
  const inFlight = new Set<number>();
  const attempt = async (delivery: WebhookDelivery) => {
    // Claim the attempt by moving its due time past this attempt's timeout: registry
    // replicas sharing a PostgreSQL database then do not both send it.
    const claimed = await db.run(
      "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at = ?",
      [now() + timeoutMs + 60_000, delivery.id, delivery.nextAttemptAt],
    );
    if (claimed === 0) return;
    const policy = await db.get<PolicyRow>('SELECT * FROM webhook_policies WHERE id = ?', [
      delivery.policyId,
    ]);
    if (!policy) return;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(policy.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'berth-registry-webhook',
          'x-berth-event': delivery.event,
          'x-berth-delivery': String(delivery.id),
          [SIGNATURE_HEADER]: signatureOf(policy.secret, delivery.payload),
        },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = describeError(err);
    }
    const attempts = delivery.attempts + 1;
    const wait = backoff[attempts - 1];
    const next = error === null ? 'delivered' : wait === undefined ? 'failed' : 'pending';
    await db.run(
      'UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ? WHERE id = ?',
      [
        next,
        attempts,
        status,
        error,
        next === 'pending' ? now() + (wait ?? 0) : null,
        next === 'delivered' ? now() : null,
        delivery.id,
      ],
    );
    if (next === 'pending') schedule(wait ?? 0);
    if (next === 'failed')
      logger.warn('webhook delivery failed', { delivery: delivery.id, url: policy.url, error });
  };
  const pump = () => track(pumpDue());
  const pumpDue = async () => {
    const due = (
      await db.all<Record<string, unknown>>(
        "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 100",
        [now()],
      )
    ).map(toDelivery);
    for (const delivery of due) {
      if (inFlight.has(delivery.id)) continue;
      inFlight.add(delivery.id);
      track(attempt(delivery).finally(() => inFlight.delete(delivery.id)));
    }
  };
  /** Background work idle() waits for; its failures are logged. */
  const track = (work: Promise<void>) => {
    const job = work
      .catch((err: unknown) => logger.error('webhook delivery crashed', { error: err }))
      .finally(() => attempting.delete(job));
    attempting.add(job);
  };
  const timers = new Set<NodeJS.Timeout>();
  const schedule = (ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      pump();
    }, ms + 5);
    timer.unref();
    timers.add(timer);
  };
  const sweep = setInterval(pump, 30_000);
  sweep.unref();

  const enqueue = (project: string | undefined, event: WebhookEvent, payload: Record<string, unknown>) => {
    if (!project) return;
    track(enqueueFor(project, event, payload));
  };
  const enqueueFor = async (project: string, event: WebhookEvent, payload: Record<string, unknown>) => {
    const targets = (
      await db.all<PolicyRow>('SELECT * FROM webhook_policies WHERE project = ? AND enabled = 1', [project])
    )
      .map(toPolicy)
      .filter((p) => p.events.includes(event));
    if (targets.length === 0) return;
    const body = JSON.stringify({ type: event, occur_at: Math.floor(now() / 1000), ...payload });
    await db.transaction(async (tx) => {
      for (const p of targets) {
        await tx.run(
          "INSERT INTO webhook_deliveries (policy_id, event, payload, status, created_at, next_attempt_at) VALUES (?, ?, ?, 'pending', ?, ?)",
          [p.id, event, body, now(), now()],
        );
      }
    });
    pump();
  };

  const EVENT_OF: Record<string, WebhookEvent> = {
    push: 'PUSH_ARTIFACT',
    pull: 'PULL_ARTIFACT',
    delete_artifact: 'DELETE_ARTIFACT',
    delete_tag: 'DELETE_ARTIFACT',
    delete_repository: 'DELETE_ARTIFACT',
    quota_exceeded: 'QUOTA_EXCEED',
  };

  return {
    onAudit(entry) {
      const event = EVENT_OF[entry.operation];
      if (!event) return;
      // Refused pushes and pulls are no events; a quota refusal is one.
      if (entry.result !== 'success' && event !== 'QUOTA_EXCEED') return;
      // A push event is one per manifest, named by tag or digest.
      if ((event === 'PUSH_ARTIFACT' || event === 'PULL_ARTIFACT') && !/[:@]/.test(entry.resource)) return;
      enqueue(entry.project, event, {
        operator: entry.username ?? null,
        event_data: {
          project: entry.project,
          resource: entry.resource,
          ...(entry.detail ? { detail: entry.detail } : {}),
        },
      });
    },
    onReplication(policy, execution) {
      enqueue(policy.project, 'REPLICATION', {
        operator: null,
        event_data: {
          policy: policy.name,
          direction: policy.direction,
          remote: policy.remote.url,
          execution: {
            id: execution.id,
            status: execution.status,
            trigger: execution.trigger,
            total: execution.total,
            succeeded: execution.succeeded,
            failed: execution.failed,
          },
        },
      });
    },
    async policies(project) {
      return (
        await db.all<PolicyRow>('SELECT * FROM webhook_policies WHERE project = ? ORDER BY id', [project])
      ).map(toPolicy);
    },
    policy: async (project, id) => toPolicy(await row(project, id)),
    async create(project, input) {
      const checked = check(input);
      const secret = checked.secret ?? randomBytes(24).toString('base64url');
      const taken = await db.get('SELECT 1 AS one FROM webhook_policies WHERE project = ? AND name = ?', [
        project,
        checked.name,
      ]);
      if (taken)
        throw invalidArgument(`name: a webhook policy named ${checked.name} exists in project ${project}`);
      const created = await db.get<{ id: number }>(
        'INSERT INTO webhook_policies (project, name, url, secret, events, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [
          project,
          checked.name,
          checked.url,
          secret,
          JSON.stringify(checked.events),
          checked.enabled ? 1 : 0,
          now(),
        ],
      );
      return { policy: toPolicy(await row(project, created!.id)), secret };
    },
    async update(project, id, input) {
      const existing = toPolicy(await row(project, id));
      const checked = check(input, existing);
      await db.transaction(async (tx) => {
        await tx.run('UPDATE webhook_policies SET name = ?, url = ?, events = ?, enabled = ? WHERE id = ?', [
          checked.name,
          checked.url,
          JSON.stringify(checked.events),
          checked.enabled ? 1 : 0,
          id,
        ]);
        if (checked.secret)
          await tx.run('UPDATE webhook_policies SET secret = ? WHERE id = ?', [checked.secret, id]);
      });
      return toPolicy(await row(project, id));
    },
    async remove(project, id) {
      await row(project, id);
      await db.run('DELETE FROM webhook_policies WHERE id = ?', [id]);
    },
    async deliveries(policyId, limit = 100) {
      return (
        await db.all<Record<string, unknown>>(
          'SELECT * FROM webhook_deliveries WHERE policy_id = ? ORDER BY id DESC LIMIT ?',
          [policyId, limit],
        )
      ).map(toDelivery);
    },
    async redeliver(policyId, deliveryId) {
      const found = await db.get<Record<string, unknown>>(
        'SELECT * FROM webhook_deliveries WHERE id = ? AND policy_id = ?',
        [deliveryId, policyId],
      );
      if (!found) throw notFound(`delivery ${deliveryId} not found`);
      const created = await db.get<Record<string, unknown>>(
        "INSERT INTO webhook_deliveries (policy_id, event, payload, status, created_at, next_attempt_at) VALUES (?, ?, ?, 'pending', ?, ?) RETURNING *",
        [policyId, found['event'], found['payload'], now(), now()],
      );
      pump();
      return toDelivery(created!);
    },
    async idle() {
      while (attempting.size > 0) await Promise.all([...attempting]);
    },
    close() {
      clearInterval(sweep);
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

const policyView = (p: WebhookPolicy) => ({
  id: p.id,
  project: p.project,
  name: p.name,
  url: p.url,
  events: p.events,
  enabled: p.enabled,
  created_at: new Date(p.createdAt).toISOString(),
});
const deliveryView = (d: WebhookDelivery) => ({
  id: d.id,
  policy_id: d.policyId,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  last_status: d.lastStatus,
  last_error: d.lastError,
  created_at: new Date(d.createdAt).toISOString(),
  next_attempt_at: d.nextAttemptAt ? new Date(d.nextAttemptAt).toISOString() : null,
  delivered_at: d.deliveredAt ? new Date(d.deliveredAt).toISOString() : null,
  payload: JSON.parse(d.payload) as unknown,
});

/**
 * `/api/v2.0/projects/{project}/webhook/policies` (Harbor's layout): needs
 * the matrix's "change settings" (project admins and system admins).
 */
export function webhookRoutes(webhooks: Webhooks) {
  return (app: FastifyInstance, { require, projectParam, audit }: ApiHelpers) => {
    const base = '/api/v2.0/projects/:project/webhook/policies';
    const idOf = (value: string) => {
      const id = Number(value);
      if (!Number.isSafeInteger(id) || id <= 0) throw invalidArgument('id: a positive integer');
      return id;
    };
    app.get(base, async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings');
      return (await webhooks.policies(project.name)).map(policyView);
    });
    app.post(base, async (request, reply) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings', 'create_webhook');
      const { policy, secret } = await webhooks.create(project.name, request.body);
      audit(request, 'create_webhook', project.name, policy.name, 'success', policy.url);
      // The secret is shown this once.
      return reply.code(201).send({ ...policyView(policy), secret });
    });
    app.get<{ Params: { id: string } }>(`${base}/:id`, async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings');
      return policyView(await webhooks.policy(project.name, idOf(request.params.id)));
    });
    app.put<{ Params: { id: string } }>(`${base}/:id`, async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings', 'update_webhook');
      const updated = await webhooks.update(project.name, idOf(request.params.id), request.body);
      audit(request, 'update_webhook', project.name, updated.name);
      return policyView(updated);
    });
    app.delete<{ Params: { id: string } }>(`${base}/:id`, async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings', 'delete_webhook');
      const existing = await webhooks.policy(project.name, idOf(request.params.id));
      await webhooks.remove(project.name, existing.id);
      audit(request, 'delete_webhook', project.name, existing.name);
      return {};
    });
    app.get<{ Params: { id: string } }>(`${base}/:id/deliveries`, async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings');
      const policy = await webhooks.policy(project.name, idOf(request.params.id));
      return (await webhooks.deliveries(policy.id)).map(deliveryView);
    });
    app.post<{ Params: { id: string; delivery: string } }>(
      `${base}/:id/deliveries/:delivery/retry`,
      async (request, reply) => {
        const project = await projectParam(request);
        await require(request, project, 'change settings', 'redeliver_webhook');
        const policy = await webhooks.policy(project.name, idOf(request.params.id));
        const queued = await webhooks.redeliver(policy.id, idOf(request.params.delivery));
        audit(request, 'redeliver_webhook', project.name, policy.name, 'success', `delivery ${queued.id}`);
        return reply.code(201).send(deliveryView(queued));
      },
    );
  };
}
