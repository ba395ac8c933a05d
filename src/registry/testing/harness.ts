import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type Digest, sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { type AccessPolicy, createDefaultPolicy } from '../auth/access.js';
import { type Authenticator, createNoAuthenticator } from '../auth/authenticator.js';
import type { TokenGrantDeps } from '../auth/token-grant.js';
import { createGarbageCollector, type GarbageCollector } from '../gc/collector.js';
import { createRegistryApp } from '../http/app.js';
import { createRegistryMetrics } from '../http/metrics.js';
import { createSqliteMetadataStore } from '../metadata/sqlite-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { createRegistry, type Registry } from '../service/registry.js';
import { createMemoryDriver } from '../storage/memory-driver.js';

/** A registry app on in-memory storage and an in-memory database, with a movable clock. */
export interface TestRegistry {
  app: FastifyInstance;
  registry: Registry;
  gc: GarbageCollector;
  clock: { now: number };
  close(): Promise<void>;
}

/** Options of {@link createTestRegistry}. */
export interface TestRegistryOptions {
  authenticator?: Authenticator;
  policy?: AccessPolicy;
  tokenGrant?: TokenGrantDeps;
  gracePeriodMs?: number;
  /** The metadata store (default: SQLite in memory). */
  metadata?: MetadataStore;
}

/** Builds a registry for `inject()` tests. */
export async function createTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const clock = { now: Date.now() };
  const gracePeriodMs = options.gracePeriodMs ?? 60_000;
  const registry = createRegistry({
    storage: createMemoryDriver(),
    metadata: options.metadata ?? createSqliteMetadataStore(':memory:'),
    limits: { gcGracePeriodMs: gracePeriodMs, manifestMaxBytes: 64 * 1024, pageSize: 100 },
    now: () => clock.now,
  });
  const gc = createGarbageCollector({
    storage: registry.context.storage,
    metadata: registry.context.metadata,
    logger: silentLogger,
    gracePeriodMs,
    now: () => clock.now,
  });
  const app = await createRegistryApp({
    registry,
    authenticator: options.authenticator ?? createNoAuthenticator(),
    policy: options.policy ?? createDefaultPolicy({ anonymousPull: true, anonymousAll: true }),
    ...(options.tokenGrant ? { tokenGrant: options.tokenGrant } : {}),
    gc,
    metrics: createRegistryMetrics(),
    audit: { record: () => {} },
    logger: silentLogger,
  });
  return {
    app,
    registry,
    gc,
    clock,
    async close() {
      await app.close();
      await registry.close();
    },
  };
}

/** The first error code of a distribution error body. */
export function errorCode(response: LightMyRequestResponse): string | undefined {
  return (response.json() as { errors?: { code: string }[] }).errors?.[0]?.code;
}

/** Pushes a blob monolithically and returns its digest. */
export async function pushBlob(
  app: FastifyInstance,
  name: string,
  content: string | Buffer,
): Promise<Digest> {
  const digest = sha256Of(content);
  const response = await app.inject({
    method: 'POST',
    url: `/v2/${name}/blobs/uploads/?digest=${digest}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from(content),
  });
  if (response.statusCode !== 201)
    throw new Error(`blob push failed: ${response.statusCode} ${response.body}`);
  return digest;
}

/** An OCI image manifest over pushed blobs. */
export function imageManifest(
  config: { digest: Digest; size: number },
  layers: { digest: Digest; size: number }[],
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
      ...extra,
    }),
  );
}

/** Pushes a config and one layer, then a manifest under `tag`; returns the manifest digest. */
export async function pushImage(
  app: FastifyInstance,
  name: string,
  tag: string,
  seed = tag,
): Promise<Digest> {
  const config = `{"seed":"${seed}"}`;
  const layer = `layer of ${seed}`;
  const manifest = imageManifest({ digest: await pushBlob(app, name, config), size: config.length }, [
    { digest: await pushBlob(app, name, layer), size: layer.length },
  ]);
  const response = await app.inject({
    method: 'PUT',
    url: `/v2/${name}/manifests/${tag}`,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    payload: manifest,
  });
  if (response.statusCode !== 201)
    throw new Error(`manifest push failed: ${response.statusCode} ${response.body}`);
  return sha256Of(manifest);
}
