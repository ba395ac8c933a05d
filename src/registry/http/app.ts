import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../../core/logger.js';
import type { AccessPolicy } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { TokenGrantDeps } from '../auth/token-grant.js';
import type { GarbageCollector } from '../gc/collector.js';
import type { Registry } from '../service/registry.js';
import type { AuditSink } from './audit.js';
import { errorBody, toHttpError } from './errors.js';
import type { RegistryMetrics } from './metrics.js';
import { baseRoutes } from './routes/base.js';
import { blobRoutes } from './routes/blobs.js';
import { discoveryRoutes } from './routes/discovery.js';
import { gcRoutes } from './routes/gc.js';
import { manifestRoutes } from './routes/manifests.js';
import { opsRoutes } from './routes/ops.js';
import { tokenRoutes } from './routes/token.js';
import { uploadRoutes } from './routes/uploads.js';
import { challengeFor, installSecurity } from './security.js';
import { rewriteRegistryUrl } from './url-rewrite.js';

/** Everything the HTTP layer is built from. */
export interface RegistryAppOptions {
  registry: Registry;
  authenticator: Authenticator;
  policy: AccessPolicy;
  /** Present in token mode: serves `/token`. */
  tokenGrant?: TokenGrantDeps;
  /** Serves `POST /admin/gc` when present. */
  gc?: GarbageCollector;
  metrics: RegistryMetrics;
  audit: AuditSink;
  logger: Logger;
  /** More route plugins (the governance API), registered after the registry's own. */
  plugins?: readonly FastifyPluginAsync[];
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * Builds the registry's Fastify app: one plugin per resource family, auth in
 * onRequest/preHandler hooks, metrics and audit in onResponse, and errors
 * mapped once, here, to the spec's `{"errors":[…]}` bodies.
 */
export async function createRegistryApp(options: RegistryAppOptions): Promise<FastifyInstance> {
  const { tls } = options;
  const common = {
    rewriteUrl: (request: { url?: string }) => rewriteRegistryUrl(request.url ?? '/'),
    exposeHeadRoutes: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    return503OnClosing: true,
  };
  // Fastify's own server creation: a serverFactory measured about half the blob download throughput.
  // An HTTPS instance differs from an HTTP one only in its raw server type, which no route touches.
  const app = tls ? (Fastify({ ...common, https: tls }) as unknown as FastifyInstance) : Fastify(common);
  installSecurity(app, { authenticator: options.authenticator, policy: options.policy });
  app.decorateRequest('bytesIn', 0);
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('docker-distribution-api-version', 'registry/2.0');
  });
  app.addHook('onResponse', async (request, reply) => onResponse(options, request, reply));
  app.setErrorHandler((err: FastifyError, request, reply) => sendError(options.logger, err, request, reply));
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(errorBody({ status: 404, code: 'UNSUPPORTED', message: 'no such route' })),
  );

  const { registry } = options;
  await app.register(baseRoutes(registry));
  await app.register(blobRoutes(registry));
  await app.register(uploadRoutes(registry));
  await app.register(manifestRoutes(registry));
  await app.register(discoveryRoutes(registry));
  await app.register(opsRoutes(registry, options.metrics));
  if (options.tokenGrant) await app.register(tokenRoutes(options.tokenGrant));
  if (options.gc) await app.register(gcRoutes(options.gc));
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}

function sendError(logger: Logger, err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const error = toHttpError(err);
  if (error.status >= 500) logger.error('request failed', { url: request.url, error: err, stack: err.stack });
  if (error.status === 401) {
    const challenge = challengeFor(request);
    if (challenge) reply.header('www-authenticate', challenge);
  }
  const size = (error.detail as { size?: unknown } | undefined)?.size;
  if (error.status === 416 && typeof size === 'number') reply.header('content-range', `bytes */${size}`);
  const send = () => reply.code(error.status).type('application/json').send(errorBody(error));
  if (request.raw.complete || request.raw.readableEnded) return send();
  // Answer once the body is in: closing with unread bytes resets the connection.
  return discardRestOfBody(request).then(send);
}

/** How much of a refused request's body is read and thrown away before the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * A request refused before its body was read (413 on Content-Length, say):
 * Node closes the socket after the response, and closing with unread bytes
 * makes the kernel send a reset, so the client sees EPIPE/ECONNRESET instead
 * of the error. Read the rest and drop it (up to a limit; past it the
 * connection is cut), then answer and close.
 */
function discardRestOfBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  return new Promise((resolve) => {
    // A body iterator abandoned half-way (a failed write) may have ended the stream already.
    if (raw.destroyed || raw.readableEnded) return resolve();
    let discarded = 0;
    raw.removeAllListeners('data');
    // A body iterator left half-way (a failed write) listens for 'readable', which keeps the
    // stream paused: resume() would do nothing and the reply would wait for ever.
    raw.removeAllListeners('readable');
    raw.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_LIMIT) {
        raw.destroy();
        resolve();
      }
    });
    raw.once('end', () => resolve());
    raw.once('close', () => resolve());
    raw.on('error', () => resolve());
    raw.resume();
  });
}

function onResponse(options: RegistryAppOptions, request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url ?? 'unmatched';
  const length = Number(reply.getHeader('content-length') ?? 0);
  const bytesOut = request.method === 'HEAD' || Number.isNaN(length) ? 0 : length;
  options.metrics.request(route, request.method, reply.statusCode, request.bytesIn, bytesOut);
  const params = request.params as { name?: string; digest?: string; reference?: string; id?: string };
  const identity = request.identity;
  const target = params.reference ?? params.digest ?? params.id;
  options.audit.record({
    time: new Date().toISOString(),
    user: identity?.kind === 'user' ? identity.name : undefined,
    remoteAddress: request.ip,
    method: request.method,
    route,
    ...(params.name ? { repository: params.name } : {}),
    ...(target ? { target } : {}),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime),
  });
}
