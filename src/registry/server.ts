import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createDefaultPolicy } from './auth/access.js';
import {
  type Authenticator,
  createBasicAuthenticator,
  createNoAuthenticator,
  createTokenAuthenticator,
} from './auth/authenticator.js';
import { createUserDirectory, loadHtpasswd, type UserDirectory } from './auth/htpasswd.js';
import { createLoginLimiter } from './auth/login-limiter.js';
import { loadSigningKey } from './auth/signing-key.js';
import type { TokenGrantDeps } from './auth/token-grant.js';
import { createTokenService } from './auth/tokens.js';
import type { RegistryConfig } from './config.js';
import { createGarbageCollector, type GarbageCollector } from './gc/collector.js';
import { managementApi } from './governance/api.js';
import { postgresGovernanceDatabase, sqliteGovernanceDatabase } from './governance/database.js';
import { createGovernance, type Governance } from './governance/governance.js';
import { proxyCache } from './governance/proxy.js';
import { createReplication } from './governance/replication.js';
import { replicationRoutes } from './governance/replication-api.js';
import { scheduleRetention } from './governance/retention.js';
import { webUi } from './governance/ui.js';
import { createWebhooks, webhookRoutes } from './governance/webhooks.js';
import { createRegistryApp } from './http/app.js';
import { type AuditSink, createLogAuditSink } from './http/audit.js';
import { createRegistryMetrics } from './http/metrics.js';
import { createPostgresMetadataStore } from './metadata/postgres-store.js';
import type { SqliteDatabase } from './metadata/sqlite-database.js';
import { createSqliteMetadataStore } from './metadata/sqlite-store.js';
import { createRegistry, type Registry } from './service/registry.js';
import { createFilesystemDriver } from './storage/fs-driver.js';

/** A running registry server. */
export interface RunningRegistry {
  app: FastifyInstance;
  registry: Registry;
  gc: GarbageCollector;
  /** The address actually bound (`127.0.0.1:5000`; port 0 resolves here). */
  address: string;
  /** Projects, users and the audit log, when the auth mode has them. */
  governance: Governance | undefined;
  close(): Promise<void>;
}

/** Splits `HOST:PORT` (IPv6 in brackets). */
export function parseAddr(addr: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!match) throw invalidArgument(`invalid address ${addr}: want HOST:PORT`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port: Number(match[3]) };
}

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/** Opens storage under the configured root and the metadata store (SQLite or PostgreSQL), and builds the registry. */
export async function openRegistry(config: RegistryConfig, logger: Logger): Promise<Registry> {
  const { url, path } = config.database;
  return createRegistry({
    storage: createFilesystemDriver(config.root),
    metadata: url ? await createPostgresMetadataStore(url) : createSqliteMetadataStore(path),
    limits: {
      manifestMaxBytes: config.limits.manifestMaxBytes,
      blobMaxBytes: config.limits.blobMaxBytes,
      pageSize: config.limits.pageSize,
      gcGracePeriodMs: config.gc.gracePeriodSeconds * 1000,
    },
    logger,
  });
}

/** Builds everything from the configuration, starts listening and schedules GC. */
export async function startRegistryServer(config: RegistryConfig, logger: Logger): Promise<RunningRegistry> {
  const { host, port } = parseAddr(config.addr);
  if (!config.tls && !isLoopback(host) && !config.allowPlainHttp) {
    throw invalidArgument(
      `refusing plain HTTP on ${config.addr}: configure tls, or set allowPlainHttp: true`,
    );
  }
  const registry = await openRegistry(config, logger);
  const metrics = createRegistryMetrics();
  const gc = createGarbageCollector({
    storage: registry.context.storage,
    metadata: registry.context.metadata,
    logger,
    gracePeriodMs: config.gc.gracePeriodSeconds * 1000,
    uploadInProgress: (id) => registry.uploadInProgress(id),
    onRun: (report) =>
      metrics.gcRun(report ? 'ok' : 'error', report?.blobsDeleted ?? 0, report?.bytesFreed ?? 0),
  });
  const { authenticator, tokenGrant, policy, governance, limiter } = await buildAuth(
    config,
    logger,
    registry,
  );
  const webhooks = governance && (await createWebhooks({ db: governance.db, logger }));
  if (governance && webhooks) governance.onAudit((entry) => webhooks.onAudit(entry));
  const replication =
    governance &&
    (await createReplication({
      db: governance.db,
      registry,
      governance,
      logger,
      onDone: (policy, execution) => webhooks?.onReplication(policy, execution),
    }));
  const stopRetention =
    governance &&
    scheduleRetention(
      governance,
      (repository, tag) => registry.repository(repository).manifests.delete({ tag }),
      logger,
    );
  const tls = config.tls && { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) };
  const app = await createRegistryApp({
    registry,
    authenticator,
    policy,
    ...(tokenGrant ? { tokenGrant } : {}),
    gc,
    metrics,
    audit: governance
      ? fanOut(
          createLogAuditSink(logger),
          governance.audit,
          pushEvents((repository, tag) => replication?.onPush(repository, tag)),
        )
      : createLogAuditSink(logger),
    ...(governance
      ? {
          plugins: [
            managementApi({
              governance,
              registry,
              limiter,
              realm: config.auth.realm,
              extensions:
                replication && webhooks ? [replicationRoutes(replication), webhookRoutes(webhooks)] : [],
            }),
            webUi({
              governance,
              limiter,
              registry,
              gc,
              deleteTag: (repository, tag) => registry.repository(repository).manifests.delete({ tag }),
              ...(replication ? { replication } : {}),
              ...(webhooks ? { webhooks } : {}),
            }),
            proxyCache({ governance, registry, logger }),
          ],
        }
      : {}),
    logger,
    ...(tls ? { tls } : {}),
  });
  await gc.purgeUploads(config.uploads.expirySeconds * 1000);
  await gc.dropSessionsWithoutData();
  const finished = await gc.finishInterruptedSweeps();
  if (finished > 0)
    logger.info('finished the blob deletions of an interrupted garbage collection', { blobs: finished });
  const stopMaintenance = scheduleMaintenance(config, gc, logger);
  await app.listen({ host, port });
  const bound = app.server.address();
  const address =
    typeof bound === 'object' && bound
      ? `${host.includes(':') ? `[${host}]` : host}:${bound.port}`
      : config.addr;
  logger.info('berth-registry listening', {
    address,
    auth: config.auth.mode,
    tls: Boolean(tls),
    root: config.root,
  });
  return {
    app,
    registry,
    gc,
    address,
    governance,
    async close() {
      stopMaintenance();
      stopRetention?.();
      replication?.close();
      await app.close();
      await replication?.idle();
      webhooks?.close();
      await webhooks?.idle();
      // After the last request: its audit entries are flushed before the database closes.
      await governance?.close();
      await registry.close();
    },
  };
}

/**
 * Periodic work: GC on its schedule, and expiry of idle upload sessions on
 * its own, more frequent one (half the expiry, at most every 15 minutes), so
 * sessions expire even with the GC schedule off. Returns a stop function.
 */
function scheduleMaintenance(config: RegistryConfig, gc: GarbageCollector, logger: Logger): () => void {
  const interval = config.gc.intervalSeconds * 1000;
  const expiryMs = config.uploads.expirySeconds * 1000;
  const timers: NodeJS.Timeout[] = [];
  if (interval > 0) {
    timers.push(
      setInterval(() => {
        gc.run({ deleteUntagged: config.gc.deleteUntagged }).catch((err: unknown) =>
          logger.error('garbage collection failed', { error: err }),
        );
      }, interval),
    );
  }
  timers.push(
    setInterval(
      () => {
        gc.purgeUploads(expiryMs).catch((err: unknown) =>
          logger.error('expiring upload sessions failed', { error: err }),
        );
      },
      Math.min(Math.max(expiryMs / 2, 1000), 15 * 60 * 1000),
    ),
  );
  for (const timer of timers) timer.unref();
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

/**
 * Governance (projects, users, roles, robots, audit, quotas) runs when users
 * log in and no htpasswd file supplies them instead (in practice: token mode
 * without `auth.htpasswd`, since htpasswd mode requires the file).
 */
async function openGovernance(
  config: RegistryConfig,
  logger: Logger,
  registry: Registry,
): Promise<Governance | undefined> {
  if (config.auth.mode === 'none' || config.auth.htpasswd) return undefined;
  // Beside the metadata tables, in the same database: usage and tag views join them.
  const { database } = registry.context.metadata as Partial<{ database: SqliteDatabase }>;
  const db = config.database.url
    ? postgresGovernanceDatabase(config.database.url)
    : database && sqliteGovernanceDatabase(database);
  if (!db) throw invalidArgument('governance needs the SQLite or PostgreSQL metadata store');
  const password = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
  const governance = await createGovernance({
    db,
    logger,
    ...(password ? { adminPassword: password } : {}),
  });
  registry.context.admitBlob = governance.admitBlob;
  registry.context.guardTags = governance.guardTags;
  return governance;
}

/** Calls `onPush` for every tag pushed (a manifest PUT by tag that succeeded). */
function pushEvents(onPush: (repository: string, tag: string) => void): AuditSink {
  return {
    record(event) {
      if (event.method !== 'PUT' || event.status >= 300 || !event.repository || !event.target) return;
      if (!event.route.endsWith('/manifests/:reference') || event.target.startsWith('sha256:')) return;
      onPush(event.repository, event.target);
    },
  };
}

function fanOut(...sinks: AuditSink[]): AuditSink {
  return {
    record(event) {
      for (const sink of sinks) sink.record(event);
    },
  };
}

async function buildAuth(config: RegistryConfig, logger: Logger, registry: Registry) {
  const { auth } = config;
  const governance = await openGovernance(config, logger, registry);
  const users: UserDirectory = governance
    ? governance.users
    : auth.htpasswd
      ? await loadHtpasswd(auth.htpasswd, logger)
      : createUserDirectory(new Map());
  const limiter = createLoginLimiter({
    maxFailures: auth.loginFailures.max,
    windowMs: auth.loginFailures.windowSeconds * 1000,
  });
  const policy =
    governance?.policy ??
    createDefaultPolicy({
      anonymousPull: auth.anonymousPull,
      anonymousAll: auth.mode === 'none',
    });
  if (auth.mode === 'none') return { authenticator: createNoAuthenticator(), policy, limiter };
  if (auth.mode === 'htpasswd') {
    return {
      authenticator: createBasicAuthenticator({ users, limiter, realm: auth.realm }),
      policy,
      governance,
      limiter,
    };
  }
  const key = await loadSigningKey(
    auth.token.key ?? join(config.root, 'token-signing-key.pem'),
    !auth.token.key,
  );
  const tokens = createTokenService({
    key,
    issuer: auth.token.issuer,
    service: auth.token.service,
    accessTokenSeconds: auth.token.expiresInSeconds,
    refreshTokenSeconds: auth.token.refreshExpiresInSeconds,
  });
  const authenticator: Authenticator = createTokenAuthenticator({
    tokens,
    ...(auth.token.realm ? { realm: auth.token.realm } : {}),
  });
  const tokenGrant: TokenGrantDeps = { tokens, users, limiter, policy };
  return { authenticator, tokenGrant, policy, governance, limiter };
}
