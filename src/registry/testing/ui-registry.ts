import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type Digest, sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { buildConfig } from '../config.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';

/** A governed berth-registry (token auth, no GC) for web UI tests, driven with `inject()`. */
export interface UiRegistry {
  readonly server: RunningRegistry;
  readonly app: FastifyInstance;
  /** Logs in through the form; the answer's status and the session cookie it set. */
  login(username: string, password: string): Promise<{ status: number; cookie: string }>;
  get(url: string, cookie?: string): Promise<LightMyRequestResponse>;
  /** Posts a form, as a browser on `origin` when one is given. */
  post(
    url: string,
    cookie: string,
    fields: Record<string, string> | [string, string][],
    origin?: string,
  ): Promise<LightMyRequestResponse>;
  /** An `Authorization` value for the admin with pull and push on `repository`. */
  bearer(repository: string): Promise<string>;
  pushBlob(repository: string, auth: string, content: string): Promise<{ digest: Digest; size: number }>;
  /** Puts an OCI image manifest under `reference`; its digest. */
  putManifest(repository: string, auth: string, reference: string, manifest: Buffer): Promise<Digest>;
}

export interface UiRegistryOptions {
  tempPrefix: string;
  /** Set as BERTH_REGISTRY_ADMIN_PASSWORD while the registry runs, restored afterwards. */
  adminPassword: string;
  /** The `database` section of the registry's config (default: SQLite in its root). */
  database?: () => Promise<{ url?: string }>;
}

/**
 * Adds before/after hooks to the calling describe(): the registry on a fresh temp root;
 * afterwards it is closed, the admin password variable restored and the root removed.
 * Hooks the caller adds after this one run once the registry is up.
 */
export function withUiRegistry(options: UiRegistryOptions): UiRegistry {
  let server: RunningRegistry | undefined;
  let root: string | undefined;
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
  const running = (): RunningRegistry => {
    if (!server) throw new Error('the UI registry is not started yet');
    return server;
  };

  const ui: UiRegistry = {
    get server() {
      return running();
    },
    get app() {
      return running().app;
    },
    login: async (username, password) => {
      const response = await ui.app.inject({
        method: 'POST',
        url: '/ui/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username, password }).toString(),
      });
      const cookie = String(response.headers['set-cookie'] ?? '').split(';')[0] ?? '';
      return { status: response.statusCode, cookie };
    },
    get: (url, cookie = '') => ui.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} }),
    post: (url, cookie, fields, origin) =>
      ui.app.inject({
        method: 'POST',
        url,
        headers: {
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          ...(origin ? { origin } : {}),
        },
        payload: new URLSearchParams(fields).toString(),
      }),
    bearer: async (repository) => {
      const token = await ui.app.inject({
        method: 'GET',
        url: `/token?scope=repository:${repository}:pull,push`,
        headers: {
          authorization: `Basic ${Buffer.from(`admin:${options.adminPassword}`).toString('base64')}`,
        },
      });
      return `Bearer ${(token.json() as { token: string }).token}`;
    },
    pushBlob: async (repository, auth, content) => {
      const digest = sha256Of(content);
      const response = await ui.app.inject({
        method: 'POST',
        url: `/v2/${repository}/blobs/uploads/?digest=${digest}`,
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        payload: content,
      });
      assert.equal(response.statusCode, 201);
      return { digest, size: Buffer.byteLength(content) };
    },
    putManifest: async (repository, auth, reference, manifest) => {
      const response = await ui.app.inject({
        method: 'PUT',
        url: `/v2/${repository}/manifests/${reference}`,
        headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        payload: manifest,
      });
      assert.equal(response.statusCode, 201, response.body);
      return sha256Of(manifest);
    },
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), options.tempPrefix));
    process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = options.adminPassword;
    const database = options.database ? { database: await options.database() } : {};
    const config = buildConfig(
      { auth: { mode: 'token' }, gc: { interval: 0 }, ...database },
      { addr: '127.0.0.1:0', root },
    );
    server = await startRegistryServer(config, silentLogger);
  });
  after(async () => {
    await server?.close();
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
    if (root) await rm(root, { recursive: true, force: true });
  });
  return ui;
}
