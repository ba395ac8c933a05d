import { PassThrough, type Readable } from 'node:stream';
import type { Digest } from '../../core/digest.js';
import { invalidArgument, notFound } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { parseReference } from '../names.js';
import { parseManifest } from '../service/manifest-parse.js';
import type { Registry } from '../service/registry.js';
import { uploadWhole } from '../service/uploads.js';
import type { BlobContent } from '../storage/driver.js';
import { type ColumnTypes, columnTypesOf } from './column-types.js';
import type { GovernanceDatabase } from './database.js';
import type { Governance } from './governance.js';
import {
  checkEndpoint,
  createRemoteClient,
  describeError,
  type RemoteClient,
  type RemoteEndpoint,
  type RemoteManifest,
} from './remote.js';
import { matchesPattern } from './rules.js';

/** A replication rule: which artifacts of a project go to (push) or come from (pull) a remote. */
export interface ReplicationPolicy {
  id: number;
  name: string;
  /** push: local → remote; pull: remote → local. */
  direction: 'push' | 'pull';
  /** The local project. */
  project: string;
  remote: RemoteEndpoint;
  /** The remote side's repository prefix (`NS/REST` ⇄ `PROJECT/REST`); '' for none. */
  remoteNamespace: string;
  /** Patterns on REST (the name inside the project); empty: all. */
  repositories: string[];
  /** Tag patterns; empty: all. */
  tags: string[];
  trigger: 'manual' | 'scheduled' | 'event_based';
  schedule?: 'hourly' | 'daily' | 'weekly';
  enabled: boolean;
  createdAt: number;
}

export interface ReplicationExecution {
  id: number;
  policyId: number;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  total: number;
  succeeded: number;
  failed: number;
}

export interface ReplicationTask {
  id: number;
  executionId: number;
  /** The repository on the source side. */
  source: string;
  destination: string;
  tag: string;
  digest: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'skipped';
  detail: string | null;
}

/** The replication tables, as {@link ColumnTypes} writes them on either database. */
const schema = ({ serial, int64 }: ColumnTypes) => `
  CREATE TABLE IF NOT EXISTS replication_policies (
    id ${serial},
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    created_at ${int64} NOT NULL
  );
  CREATE TABLE IF NOT EXISTS replication_executions (
    id ${serial},
    policy_id ${int64} NOT NULL REFERENCES replication_policies(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at ${int64} NOT NULL,
    finished_at ${int64}
  );
  CREATE INDEX IF NOT EXISTS replication_executions_by_policy ON replication_executions(policy_id, id);
  CREATE TABLE IF NOT EXISTS replication_tasks (
    id ${serial},
    execution_id ${int64} NOT NULL REFERENCES replication_executions(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    tag TEXT NOT NULL,
    digest TEXT,
    status TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX IF NOT EXISTS replication_tasks_by_execution ON replication_tasks(execution_id);
`;

const PERIOD_MS = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 } as const;

/** One side of a copy: the local registry or a remote one. */
interface Side {
  repositories(prefix: string): Promise<string[]>;
  tags(repository: string): Promise<string[]>;
  tagDigest(repository: string, tag: string): Promise<string | undefined>;
  getManifest(repository: string, reference: string): Promise<RemoteManifest | undefined>;
  putManifest(repository: string, reference: string, manifest: RemoteManifest): Promise<void>;
  getBlob(repository: string, digest: string): Promise<{ size: number; stream: Readable } | undefined>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  pushBlob(repository: string, digest: string, size: number, body: Readable): Promise<void>;
}

function localSide(registry: Registry): Side {
  const { metadata } = registry.context;
  return {
    async repositories(prefix) {
      const names: string[] = [];
      let last: string | undefined;
      for (;;) {
        const page = await registry.catalog({ limit: 1000, ...(last ? { last } : {}) });
        names.push(...page.filter((n) => n.startsWith(prefix)));
        if (page.length < 1000) return names;
        last = page[page.length - 1];
      }
    },
    async tags(repository) {
      return (await metadata.listTags(repository, { limit: 100_000 })) ?? [];
    },
    async tagDigest(repository, tag) {
      return (await metadata.resolveTag(repository, tag)) ?? undefined;
    },
    async getManifest(repository, reference) {
      const found = await registry
        .repository(repository)
        .manifests.get(parseReference(reference), [])
        .catch(() => undefined);
      return found && { content: found.content, mediaType: found.mediaType, digest: found.digest };
    },
    async putManifest(repository, reference, manifest) {
      await registry
        .repository(repository)
        .manifests.put(parseReference(reference), manifest.content, manifest.mediaType);
    },
    async getBlob(repository, digest) {
      const open = await registry
        .repository(repository)
        .blobs.open(digest as Digest)
        .catch(() => undefined);
      return open && { size: open.size, stream: readableOf(open.content) };
    },
    async hasBlob(repository, digest) {
      return (await metadata.findLinkedBlob(repository, digest as Digest)) !== undefined;
    },
    async pushBlob(repository, digest, _size, body) {
      await uploadWhole(registry.repository(repository).uploads, digest as Digest, body);
    },
  };
}

function remoteSide(client: RemoteClient): Side {
  return {
    async repositories(prefix) {
      return (await client.catalog()).filter((n) => n.startsWith(prefix));
    },
    tags: (repository) => client.tags(repository),
    async tagDigest(repository, tag) {
      return (await client.headManifest(repository, tag))?.digest;
    },
    getManifest: (repository, reference) => client.getManifest(repository, reference),
    putManifest: (repository, reference, manifest) => client.putManifest(repository, reference, manifest),
    getBlob: (repository, digest) => client.getBlob(repository, digest),
    hasBlob: (repository, digest) => client.hasBlob(repository, digest),
    pushBlob: (repository, digest, size, body) => client.pushBlob(repository, digest, size, body),
  };
}

/** Copies one manifest (an index with its children) and the blobs it needs; returns its digest. */
async function copyManifest(
  src: Side,
  srcRepo: string,
  dst: Side,
  dstRepo: string,
  reference: string,
  tag?: string,
): Promise<string> {
  const manifest = await src.getManifest(srcRepo, reference);
  if (!manifest) throw new Error(`${srcRepo}:${reference}: no such manifest at the source`);
  const parsed = parseManifest(manifest.content, manifest.mediaType);
  for (const child of parsed.manifests) await copyManifest(src, srcRepo, dst, dstRepo, child);
  for (const blob of parsed.blobs) {
    if (await dst.hasBlob(dstRepo, blob)) continue;
    const open = await src.getBlob(srcRepo, blob);
    if (!open) throw new Error(`${srcRepo}@${blob}: blob missing at the source`);
    await dst.pushBlob(dstRepo, blob, open.size, open.stream);
  }
  await dst.putManifest(dstRepo, tag ?? manifest.digest, manifest);
  return manifest.digest;
}

export interface ReplicationDeps {
  db: GovernanceDatabase;
  registry: Registry;
  governance: Governance;
  logger: Logger;
  /** Told when an execution ends (webhooks). */
  onDone?: (policy: ReplicationPolicy, execution: ReplicationExecution) => void;
  now?: () => number;
}

/** Replication rules, their executions and the engine that runs them. */
export interface Replication {
  policies(): Promise<ReplicationPolicy[]>;
  policy(id: number): Promise<ReplicationPolicy>;
  createPolicy(input: unknown): Promise<ReplicationPolicy>;
  updatePolicy(id: number, input: unknown): Promise<ReplicationPolicy>;
  deletePolicy(id: number): Promise<void>;
  /** Starts an execution in the background; returns it as started. */
  start(policyId: number, trigger: string): Promise<ReplicationExecution>;
  /** A new execution of the failed tasks of `executionId`. */
  retry(executionId: number): Promise<ReplicationExecution>;
  executions(policyId?: number, limit?: number): Promise<ReplicationExecution[]>;
  execution(id: number): Promise<ReplicationExecution>;
  tasks(executionId: number): Promise<ReplicationTask[]>;
  /** Waits for running executions (tests, shutdown). */
  idle(): Promise<void>;
  /** Starts the scheduled rules whose period has passed (every minute by itself); returns how many. */
  runDue(): Promise<number>;
  /** A push landed in the registry: event-based push rules copy it. */
  onPush(repository: string, tag: string): void;
  close(): void;
}

/** Opens the replication tables and schedules scheduled rules (checked every minute). */
export async function createReplication(deps: ReplicationDeps): Promise<Replication> {
  const { db, registry, logger } = deps;
  const now = deps.now ?? Date.now;
  await db.exec(schema(columnTypesOf(db)));
  const local = localSide(registry);
  const running = new Set<Promise<void>>();
  const busyPolicies = new Set<number>();

  const rowToPolicy = (r: { id: number; name: string; config: string; created_at: number }) =>
    ({
      ...(JSON.parse(r.config) as object),
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
    }) as ReplicationPolicy;
  type PolicyRow = { id: number; name: string; config: string; created_at: number };
  const policies = async () =>
    (await db.all<PolicyRow>('SELECT * FROM replication_policies ORDER BY id')).map(rowToPolicy);
  const policy = async (id: number) => {
    const row = await db.get<PolicyRow>('SELECT * FROM replication_policies WHERE id = ?', [id]);
    if (!row) throw notFound(`replication policy ${id} not found`);
    return rowToPolicy(row);
  };
  const execRow = (r: Record<string, unknown>): ReplicationExecution => ({
    id: r['id'] as number,
    policyId: r['policy_id'] as number,
    trigger: r['trigger'] as string,
    status: r['status'] as ReplicationExecution['status'],
    startedAt: r['started_at'] as number,
    finishedAt: (r['finished_at'] as number | null) ?? null,
    total: (r['total'] as number) ?? 0,
    succeeded: (r['succeeded'] as number) ?? 0,
    failed: (r['failed'] as number) ?? 0,
  });
  const EXEC_SELECT = `SELECT e.*,
      (SELECT COUNT(*) FROM replication_tasks t WHERE t.execution_id = e.id) AS total,
      (SELECT COUNT(*) FROM replication_tasks t WHERE t.execution_id = e.id AND t.status IN ('succeeded','skipped')) AS succeeded,
      (SELECT COUNT(*) FROM replication_tasks t WHERE t.execution_id = e.id AND t.status = 'failed') AS failed
    FROM replication_executions e`;
  const execution = async (id: number) => {
    const row = await db.get<Record<string, unknown>>(`${EXEC_SELECT} WHERE e.id = ?`, [id]);
    if (!row) throw notFound(`replication execution ${id} not found`);
    return execRow(row);
  };
  const tasks = async (executionId: number): Promise<ReplicationTask[]> =>
    (
      await db.all<Record<string, unknown>>(
        'SELECT * FROM replication_tasks WHERE execution_id = ? ORDER BY id',
        [executionId],
      )
    ).map((r) => ({
      id: r['id'] as number,
      executionId: r['execution_id'] as number,
      source: r['source'] as string,
      destination: r['destination'] as string,
      tag: r['tag'] as string,
      digest: (r['digest'] as string | null) ?? null,
      status: r['status'] as ReplicationTask['status'],
      detail: (r['detail'] as string | null) ?? null,
    }));

  const check = async (
    input: unknown,
    existing?: ReplicationPolicy,
  ): Promise<Omit<ReplicationPolicy, 'id' | 'createdAt'>> => {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw invalidArgument('body: a JSON object');
    const i = input as Record<string, unknown>;
    const known = [
      'name',
      'direction',
      'project',
      'remote',
      'remote_namespace',
      'repositories',
      'tags',
      'trigger',
      'schedule',
      'enabled',
    ];
    const unknown = Object.keys(i).filter((k) => !known.includes(k));
    if (unknown.length > 0) throw invalidArgument(`${unknown[0]}: unknown key`);
    const pick = <T>(key: string, fallback: T | undefined): unknown =>
      i[key] !== undefined ? i[key] : fallback;
    const name = pick('name', existing?.name);
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
      throw invalidArgument('name: 1 to 64 letters, digits, ".", "_" or "-"');
    const direction = pick('direction', existing?.direction);
    if (direction !== 'push' && direction !== 'pull') throw invalidArgument('direction: "push" or "pull"');
    const project = pick('project', existing?.project);
    if (typeof project !== 'string' || !(await deps.governance.store.project(project)))
      throw invalidArgument('project: the name of an existing project');
    const remote =
      i['remote'] !== undefined
        ? checkEndpoint(i['remote'], 'remote')
        : (existing?.remote ?? checkEndpoint(undefined, 'remote'));
    const namespace = pick('remote_namespace', existing?.remoteNamespace ?? project);
    if (
      typeof namespace !== 'string' ||
      (namespace !== '' && !/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(namespace))
    )
      throw invalidArgument('remote_namespace: a repository path such as "team", or "" for none');
    const patterns = (key: string, value: unknown) => {
      if (
        !Array.isArray(value) ||
        value.some((p) => typeof p !== 'string' || !/^[A-Za-z0-9_.*?/-]{1,255}$/.test(p))
      )
        throw invalidArgument(`${key}: a list of patterns ("*" any run of characters, "?" one)`);
      return value as string[];
    };
    const repositories = patterns('repositories', pick('repositories', existing?.repositories ?? []));
    const tags = patterns('tags', pick('tags', existing?.tags ?? []));
    const trigger = pick('trigger', existing?.trigger ?? 'manual');
    if (trigger !== 'manual' && trigger !== 'scheduled' && trigger !== 'event_based')
      throw invalidArgument('trigger: "manual", "scheduled" or "event_based"');
    const schedule = pick('schedule', existing?.schedule);
    if (trigger === 'scheduled' && schedule !== 'hourly' && schedule !== 'daily' && schedule !== 'weekly')
      throw invalidArgument('schedule: "hourly", "daily" or "weekly" (needed by trigger "scheduled")');
    if (trigger === 'event_based' && direction !== 'push')
      throw invalidArgument('trigger: "event_based" works with direction "push" only');
    const enabled = pick('enabled', existing?.enabled ?? true);
    if (typeof enabled !== 'boolean') throw invalidArgument('enabled: true or false');
    return {
      name,
      direction,
      project,
      remote,
      remoteNamespace: namespace,
      repositories,
      tags,
      trigger,
      ...(trigger === 'scheduled' ? { schedule: schedule as 'hourly' } : {}),
      enabled,
    };
  };
  const configOf = (p: Omit<ReplicationPolicy, 'id' | 'createdAt' | 'name'> & { name?: string }) => {
    const { name: _name, ...config } = p;
    return JSON.stringify(config);
  };

  /** The artifacts a policy covers now: [source repository, destination repository, tag]. */
  const plan = async (p: ReplicationPolicy, src: Side, only?: { repository: string; tag: string }) => {
    const localPrefix = `${p.project}/`;
    const remotePrefix = p.remoteNamespace ? `${p.remoteNamespace}/` : '';
    const [srcPrefix, dstPrefix] =
      p.direction === 'push' ? [localPrefix, remotePrefix] : [remotePrefix, localPrefix];
    const repos = only ? [only.repository] : await src.repositories(srcPrefix);
    const items: [string, string, string][] = [];
    for (const repo of repos) {
      const rest = repo.slice(srcPrefix.length);
      if (!rest || (p.repositories.length > 0 && !p.repositories.some((pat) => matchesPattern(pat, rest))))
        continue;
      const tags = only ? [only.tag] : await src.tags(repo);
      for (const tag of tags) {
        if (p.tags.length > 0 && !p.tags.some((pat) => matchesPattern(pat, tag))) continue;
        items.push([repo, `${dstPrefix}${rest}`, tag]);
      }
    }
    return items;
  };

  const insertExecution = async (on: GovernanceDatabase, policyId: number, trigger: string) =>
    (await on.get<{ id: number }>(
      "INSERT INTO replication_executions (policy_id, trigger, status, started_at) VALUES (?, ?, 'running', ?) RETURNING id",
      [policyId, trigger, now()],
    ))!.id;
  const insertTask = async (tx: GovernanceDatabase, executionId: number, s: string, d: string, t: string) =>
    (await tx.get<{ id: number }>(
      "INSERT INTO replication_tasks (execution_id, source, destination, tag, status) VALUES (?, ?, ?, ?, 'pending') RETURNING id",
      [executionId, s, d, t],
    ))!.id;
  const finishTask = (status: string, digest: string | null, detail: string | null, id: number) =>
    db.run('UPDATE replication_tasks SET status = ?, digest = ?, detail = ? WHERE id = ?', [
      status,
      digest,
      detail,
      id,
    ]);

  const run = async (
    p: ReplicationPolicy,
    executionId: number,
    items: () => Promise<[string, string, string][]>,
  ) => {
    const client = createRemoteClient(p.remote);
    const remote = remoteSide(client);
    const [src, dst] = p.direction === 'push' ? [local, remote] : [remote, local];
    let status: ReplicationExecution['status'] = 'succeeded';
    try {
      const list = await items();
      const ids = await db.transaction(async (tx) => {
        const inserted: number[] = [];
        for (const [s, d, t] of list) inserted.push(await insertTask(tx, executionId, s, d, t));
        return inserted;
      });
      for (const [index, [source, destination, tag]] of list.entries()) {
        const id = ids[index]!;
        try {
          const [have, want] = await Promise.all([
            dst.tagDigest(destination, tag).catch(() => undefined),
            src.tagDigest(source, tag),
          ]);
          if (have && have === want) {
            await finishTask('skipped', want ?? null, 'already at the destination', id);
            continue;
          }
          const digest = await copyManifest(src, source, dst, destination, tag, tag);
          await finishTask('succeeded', digest, null, id);
          deps.governance.record({
            principal: { kind: 'anonymous' },
            remoteAddress: 'replication',
            operation: 'replicate',
            project: p.project,
            resource: `${source}:${tag} -> ${p.direction === 'push' ? p.remote.url : 'local'}/${destination}`,
            result: 'success',
            detail: `policy ${p.name}`,
          });
        } catch (err) {
          status = 'failed';
          const message = describeError(err);
          await finishTask('failed', null, message.slice(0, 1000), id);
          deps.governance.record({
            principal: { kind: 'anonymous' },
            remoteAddress: 'replication',
            operation: 'replicate',
            project: p.project,
            resource: `${source}:${tag}`,
            result: 'failure',
            detail: `policy ${p.name}: ${message.slice(0, 500)}`,
          });
        }
      }
    } catch (err) {
      status = 'failed';
      const message = describeError(err);
      const id = await insertTask(db, executionId, '', '', '');
      await finishTask('failed', null, `listing the source failed: ${message}`.slice(0, 1000), id);
    }
    await db.run('UPDATE replication_executions SET status = ?, finished_at = ? WHERE id = ?', [
      status,
      now(),
      executionId,
    ]);
    logger.info('replication finished', { policy: p.name, execution: executionId, status });
    try {
      deps.onDone?.(p, await execution(executionId));
    } catch (err) {
      logger.warn('replication: onDone failed', { error: err });
    }
  };

  const launch = async (
    p: ReplicationPolicy,
    trigger: string,
    items?: () => Promise<[string, string, string][]>,
    claimed?: number,
  ): Promise<ReplicationExecution> => {
    const id = claimed ?? (await insertExecution(db, p.id, trigger));
    // Executions of one policy run one after another.
    const job = (async () => {
      while (busyPolicies.has(p.id)) await Promise.race(running);
      busyPolicies.add(p.id);
      try {
        await run(
          p,
          id,
          items ?? (() => plan(p, p.direction === 'push' ? local : remoteSide(createRemoteClient(p.remote)))),
        );
      } finally {
        busyPolicies.delete(p.id);
      }
    })().catch((err: unknown) => logger.error('replication crashed', { error: err }));
    track(job);
    return execution(id);
  };
  /** Background work idle() waits for. */
  const track = (job: Promise<void>) => {
    running.add(job);
    void job.finally(() => running.delete(job));
  };

  // Executions left running by a stopped server did not finish.
  await db.run(
    "UPDATE replication_executions SET status = 'failed', finished_at = ? WHERE status = 'running'",
    [now()],
  );

  const runDue = async () => {
    let started = 0;
    for (const p of await policies()) {
      const period = p.enabled && p.trigger === 'scheduled' && p.schedule ? PERIOD_MS[p.schedule] : undefined;
      if (period === undefined) continue;
      // Checked and claimed in one transaction: replicas sharing PostgreSQL start one run, not one each.
      const claimed = await db.transaction(async (tx) => {
        const last = (
          await tx.get<{ started_at: number | null }>(
            "SELECT MAX(started_at) AS started_at FROM replication_executions WHERE policy_id = ? AND trigger = 'scheduled'",
            [p.id],
          )
        )?.started_at;
        // The first scheduled run comes one period after the rule was made.
        if (now() - (last ?? p.createdAt) < period) return undefined;
        return insertExecution(tx, p.id, 'scheduled');
      });
      if (claimed === undefined) continue;
      await launch(p, 'scheduled', undefined, claimed);
      started++;
    }
    return started;
  };
  const timer = setInterval(() => {
    runDue().catch((err: unknown) => logger.error('replication schedule failed', { error: err }));
  }, 60_000);
  timer.unref();

  return {
    policies,
    policy,
    async createPolicy(input) {
      const checked = await check(input);
      if ((await policies()).some((p) => p.name === checked.name))
        throw invalidArgument(`name: a replication policy named ${checked.name} exists`);
      const row = await db.get<{ id: number }>(
        'INSERT INTO replication_policies (name, config, created_at) VALUES (?, ?, ?) RETURNING id',
        [checked.name, configOf(checked), now()],
      );
      return policy(row!.id);
    },
    async updatePolicy(id, input) {
      const existing = await policy(id);
      const checked = await check(input, existing);
      await db.run('UPDATE replication_policies SET name = ?, config = ? WHERE id = ?', [
        checked.name,
        configOf(checked),
        id,
      ]);
      return policy(id);
    },
    async deletePolicy(id) {
      await policy(id);
      await db.run('DELETE FROM replication_policies WHERE id = ?', [id]);
    },
    async start(policyId, trigger) {
      return launch(await policy(policyId), trigger);
    },
    async retry(executionId) {
      const previous = await execution(executionId);
      const p = await policy(previous.policyId);
      const failed = (await tasks(executionId))
        .filter((t) => t.status === 'failed')
        .map((t) => [t.source, t.destination, t.tag] as [string, string, string]);
      const listFailed = failed.some(([s]) => s === '');
      return launch(p, `retry of ${executionId}`, listFailed ? undefined : async () => failed);
    },
    async executions(policyId, limit = 50) {
      const rows =
        policyId === undefined
          ? await db.all<Record<string, unknown>>(`${EXEC_SELECT} ORDER BY e.id DESC LIMIT ?`, [limit])
          : await db.all<Record<string, unknown>>(
              `${EXEC_SELECT} WHERE e.policy_id = ? ORDER BY e.id DESC LIMIT ?`,
              [policyId, limit],
            );
      return rows.map(execRow);
    },
    execution,
    tasks,
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    onPush(repository, tag) {
      track(
        onPush(repository, tag).catch((err: unknown) =>
          logger.error('replication on push failed', { error: err }),
        ),
      );
    },
    runDue,
    close() {
      clearInterval(timer);
    },
  };

  async function onPush(repository: string, tag: string) {
    for (const p of await policies()) {
      if (!p.enabled || p.trigger !== 'event_based' || p.direction !== 'push') continue;
      if (!repository.startsWith(`${p.project}/`)) continue;
      const remotePrefix = p.remoteNamespace ? `${p.remoteNamespace}/` : '';
      const rest = repository.slice(p.project.length + 1);
      if (p.repositories.length > 0 && !p.repositories.some((pat) => matchesPattern(pat, rest))) continue;
      if (p.tags.length > 0 && !p.tags.some((pat) => matchesPattern(pat, tag))) continue;
      await launch(p, 'event_based', async () => [[repository, `${remotePrefix}${rest}`, tag]]);
    }
  }
}

/** What the API shows of a policy: never the remote's password. */
export function policyView(p: ReplicationPolicy) {
  return {
    id: p.id,
    name: p.name,
    direction: p.direction,
    project: p.project,
    remote: { url: p.remote.url, username: p.remote.username ?? null },
    remote_namespace: p.remoteNamespace,
    repositories: p.repositories,
    tags: p.tags,
    trigger: p.trigger,
    schedule: p.schedule ?? null,
    enabled: p.enabled,
    created_at: new Date(p.createdAt).toISOString(),
  };
}

export function executionView(e: ReplicationExecution) {
  return {
    id: e.id,
    policy_id: e.policyId,
    trigger: e.trigger,
    status: e.status,
    start_time: new Date(e.startedAt).toISOString(),
    end_time: e.finishedAt ? new Date(e.finishedAt).toISOString() : null,
    total: e.total,
    succeeded: e.succeeded,
    failed: e.failed,
  };
}

/** The storage hands out blobs as "write yourself to"; replication wants a stream to read. */
function readableOf(content: BlobContent): Readable {
  const stream = new PassThrough();
  content.writeTo(stream).then(
    () => stream.end(),
    (err: unknown) => stream.destroy(err as Error),
  );
  return stream;
}
