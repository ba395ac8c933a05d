import type { IncomingMessage, RequestListener } from 'node:http';
import type { BuildService } from '../builder/service.js';
import type { ContainerService } from '../containers/service.js';
import type { Logger } from '../core/logger.js';
import { reportSpan, tracingSpans } from '../core/spans.js';
import type { DistributionService } from '../distribution/service.js';
import type { NetworkService } from '../engine/network-service.js';
import type { SystemService } from '../engine/system.js';
import type { ImageService } from '../images/service.js';
import type { VolumeService } from '../volumes/index.js';
import { messageOf, statusOf } from './errors.js';
import { HttpApp } from './http/app.js';
import type { Reply } from './http/reply.js';
import { registerBuildRoutes } from './routes/build.js';
import { registerContainerArchiveRoutes } from './routes/container-archive.js';
import { registerContainerOpsRoutes } from './routes/container-ops.js';
import { registerContainerRoutes } from './routes/containers.js';
import { registerDistributionRoutes } from './routes/distribution.js';
import { registerExecRoutes } from './routes/exec.js';
import { registerImageRoutes } from './routes/images.js';
import { registerNetworkRoutes } from './routes/networks.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerVolumeRoutes } from './routes/volumes.js';
import { API_VERSION, splitVersion, versionError } from './versioning.js';

/** What the HTTP layer needs from the engine: its services, nothing else. */
export interface ApiServices {
  system: SystemService;
  /** Route families are registered for the services given (tests may pass only some). */
  images?: ImageService;
  containers?: ContainerService;
  /** Pull, push, login (the registry client). */
  distribution?: DistributionService;
  networks?: NetworkService;
  volumes?: VolumeService;
  /** The Volumes of GET /system/df (dockerd's volume objects with UsageData); empty when not given. */
  volumeUsage?: () => Promise<Record<string, unknown>[]>;
  builder?: BuildService;
  log: Logger;
}

export interface ApiServer {
  app: HttpApp;
  /** The request listener to attach to each listening http/https server. */
  handler: RequestListener;
  close(): Promise<void>;
}

/** The API version each request asked for; undefined means the current one. */
const requestedVersion = new WeakMap<IncomingMessage, string | undefined>();

export function apiVersionOf(raw: IncomingMessage): string {
  return requestedVersion.get(raw) ?? API_VERSION;
}

/** Headers every response carries, hijacked streams included. */
export function commonHeaders(system: SystemService): Record<string, string> {
  const v = system.version();
  return {
    'Api-Version': API_VERSION,
    Ostype: 'linux',
    Server: `Berth/${v.Version} (linux)`,
    'Docker-Experimental': String(v.Experimental),
  };
}

/**
 * Sends a JSON body with Content-Type exactly "application/json": the Docker
 * CLI compares it literally and prints raw JSON for "…; charset=utf-8".
 */
export function sendJson(reply: Reply, status: number, body: unknown): Reply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .send(Buffer.from(`${JSON.stringify(body)}\n`));
}

export async function createApiServer(services: ApiServices): Promise<ApiServer> {
  const app = new HttpApp((req) => {
    const { path, version } = splitVersion(req.url ?? '/');
    requestedVersion.set(req, version);
    return path;
  });

  const headers = commonHeaders(services.system);
  app.addHook((req, reply) => {
    if (tracingSpans()) {
      const started = performance.now();
      const name = `api ${req.method} ${(req.url ?? '').split('?')[0]}`;
      reply.raw.once('close', () => reportSpan(name, started));
    }
    reply.headers(headers);
    const version = requestedVersion.get(req.raw);
    const problem = version === undefined ? undefined : versionError(version);
    if (problem) sendJson(reply, 400, { message: problem });
  });

  app.setErrorHandler((err, req, reply) => {
    const status = statusOf(err);
    if (status >= 500) services.log.error('handler failed', { method: req.method, url: req.url, error: err });
    else services.log.debug('request failed', { method: req.method, url: req.url, error: err });
    if (status === 304) reply.code(304).send();
    else sendJson(reply, status, { message: messageOf(err) });
  });
  app.setUpgradeErrorStatus(statusOf);
  app.setNotFoundHandler((_req, reply) => sendJson(reply, 404, { message: 'page not found' }));

  registerSystemRoutes(app, services);
  if (services.images) registerImageRoutes(app, services, services.images);
  if (services.containers) {
    registerContainerRoutes(app, services.containers);
    registerExecRoutes(app, services.containers.execs);
    registerContainerOpsRoutes(app, services.containers);
    registerContainerArchiveRoutes(app, services.containers);
  }
  if (services.distribution) registerDistributionRoutes(app, services.distribution);
  if (services.networks) registerNetworkRoutes(app, services.networks);
  if (services.volumes) registerVolumeRoutes(app, services.volumes);
  if (services.builder) registerBuildRoutes(app, services.builder, headers, services.distribution);
  return { app, handler: app.handler, close: async () => {} };
}
