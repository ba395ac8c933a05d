import { type IncomingMessage, type RequestListener, Server } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../core/logger.js';
import type { SystemService } from '../engine/system.js';
import type { ImageService } from '../images/service.js';
import { messageOf, statusOf } from './errors.js';
import { registerImageRoutes } from './routes/images.js';
import { registerSystemRoutes } from './routes/system.js';
import { API_VERSION, splitVersion, versionError } from './versioning.js';

/** What the HTTP layer needs from the engine: its services, nothing else. */
export interface ApiServices {
  system: SystemService;
  images: ImageService;
  log: Logger;
}

export interface ApiServer {
  app: FastifyInstance;
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
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .send(Buffer.from(`${JSON.stringify(body)}\n`));
}

export async function createApiServer(services: ApiServices): Promise<ApiServer> {
  let handler: RequestListener | undefined;
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    bodyLimit: 64 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    serverFactory: (h) => {
      handler = h;
      // Fastify wants a server object; listeners are attached by the daemon itself.
      return new Server();
    },
    rewriteUrl: (req) => {
      const { path, version } = splitVersion(req.url ?? '/');
      requestedVersion.set(req, version);
      return path;
    },
  });

  // Docker clients send JSON without caring much for Content-Type; bodies of
  // other types (tar archives for load, build, cp) are passed on as streams.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Object.assign(new Error(`invalid JSON: ${messageOf(err)}`), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const headers = commonHeaders(services.system);
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(headers);
    const version = requestedVersion.get(req.raw);
    const problem = version === undefined ? undefined : versionError(version);
    if (problem) return sendJson(reply, 400, { message: problem });
  });

  app.setErrorHandler((err, req, reply) => {
    const status = statusOf(err);
    if (status >= 500) services.log.error('handler failed', { method: req.method, url: req.url, error: err });
    else services.log.debug('request failed', { method: req.method, url: req.url, error: err });
    if (status === 304) return reply.code(304).send();
    return sendJson(reply, status, { message: messageOf(err) });
  });
  app.setNotFoundHandler((_req, reply) => sendJson(reply, 404, { message: 'page not found' }));

  registerSystemRoutes(app, services);
  registerImageRoutes(app, services);
  await app.ready();
  if (!handler) throw new Error('fastify did not provide a request handler');
  return { app, handler, close: () => app.close() };
}
