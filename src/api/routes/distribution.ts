import { decodeRegistryAuth } from '../../distribution/auth-config.js';
import type { DistributionService } from '../../distribution/service.js';
import type { HttpApp, Request } from '../http/app.js';
import { clientGone, JsonLineStream } from '../json-stream.js';
import { queryString } from '../query.js';
import { type ApiServices, commonHeaders, sendJson } from '../server.js';

type Query = Record<string, string | string[] | undefined>;

/** Credentials the client sent for the registry (docker CLI's X-Registry-Auth). */
export function registryAuthOf(req: Request) {
  return decodeRegistryAuth(req.raw.headers['x-registry-auth']);
}

/**
 * The registry routes of the Engine API: POST /auth and
 * GET /distribution/{name}/json. Pull and push stream from the image routes
 * through {@link streamPull} and {@link streamPush}.
 */
export function registerDistributionRoutes(app: HttpApp, distribution: DistributionService): void {
  app.post('/auth', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const auth = decodeRegistryAuth(Buffer.from(JSON.stringify(body)).toString('base64url'));
    const result = await distribution.login(auth, clientGone(reply));
    return sendJson(reply, 200, { IdentityToken: result.identityToken, Status: result.status });
  });

  app.get('/distribution/*', async (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    if (!path.endsWith('/json')) return sendJson(reply, 404, { message: 'page not found' });
    const name = path.slice(0, -'/json'.length);
    return sendJson(reply, 200, await distribution.inspect(name, registryAuthOf(req), clientGone(reply)));
  });
}

/** POST /images/create?fromImage=: docker's pull progress as JSON lines. */
export async function streamPull(
  req: Request,
  reply: Parameters<Parameters<HttpApp['post']>[1]>[1],
  services: ApiServices,
  distribution: DistributionService,
): Promise<void> {
  const query = req.query as Query;
  const stream = new JsonLineStream(reply, commonHeaders(services.system));
  try {
    const tag = queryString(query.tag);
    const platform = queryString(query.platform);
    await distribution.pull({
      fromImage: queryString(query.fromImage) ?? '',
      ...(tag ? { tag } : {}),
      ...(platform ? { platform } : {}),
      auth: registryAuthOf(req),
      report: (message) => stream.write(message),
      signal: clientGone(reply),
    });
    stream.end();
  } catch (err) {
    stream.fail(err);
  }
}

/** POST /images/{name}/push: docker's push progress as JSON lines (errors in-band, as dockerd). */
export async function streamPush(
  req: Request,
  reply: Parameters<Parameters<HttpApp['post']>[1]>[1],
  name: string,
  services: ApiServices,
  distribution: DistributionService,
): Promise<void> {
  const query = req.query as Query;
  const stream = new JsonLineStream(reply, commonHeaders(services.system));
  try {
    const tag = queryString(query.tag);
    await distribution.push({
      name,
      ...(tag ? { tag } : {}),
      auth: registryAuthOf(req),
      report: (message) => stream.write(message),
      signal: clientGone(reply),
    });
    stream.end();
  } catch (err) {
    stream.fail(err, { inBand: true });
  }
}
