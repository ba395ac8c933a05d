import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type Access,
  type AccessPolicy,
  type Action,
  ANONYMOUS,
  authorize,
  type Identity,
} from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import { registryError } from '../errors.js';
import { parseRepositoryName } from '../names.js';

/**
 * What a route needs, declared in its `config.access`:
 * `{ login: true }` — any logged-in caller (the `/v2/` check);
 * `{ repository: [...] }` — actions on the repository named by `:name`;
 * `{ registry: 'catalog', actions: ['*'] }` — a registry-wide resource.
 */
export type RouteAccess =
  | { login: true }
  | { repository: Action[] }
  | { registry: string; actions: Action[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Who is calling; set before any route with `config.access` runs. */
    identity: Identity;
  }
  interface FastifyInstance {
    /** The auth pieces, decorated once at the root for routes and hooks. */
    registryAuth: RegistryAuth;
  }
}

/** Authentication and the authorization policy of one server. */
export interface RegistryAuth {
  authenticator: Authenticator;
  policy: AccessPolicy;
}

/** The accesses a request needs according to its route. */
export function neededAccess(request: FastifyRequest): Access[] {
  const access = request.routeOptions.config.access;
  if (!access || 'login' in access) return [];
  if ('registry' in access) {
    return access.actions.map((action) => ({ type: 'registry', name: access.registry, action }));
  }
  const name = parseRepositoryName((request.params as { name?: string }).name ?? '');
  return access.repository.map((action) => ({ type: 'repository', name, action }));
}

/** Whether the caller may perform one more access (e.g. pull from a mount's source). */
export async function mayAccess(request: FastifyRequest, access: Access): Promise<boolean> {
  return (await authorize(request.identity, [access], request.server.registryAuth.policy)) === 'allow';
}

/** The WWW-Authenticate value of a 401 answer to this request. */
export function challengeFor(request: FastifyRequest): string {
  const { authenticator } = request.server.registryAuth;
  let needed: Access[] = [];
  try {
    needed = neededAccess(request);
  } catch {
    // An invalid name has no scope to ask for.
  }
  const identity = request.identity;
  const error = identity.kind === 'user' && identity.grants ? 'insufficient_scope' : undefined;
  return authenticator.challenge(needed, `${request.protocol}://${request.host}`, error);
}

/**
 * Authenticates in `onRequest` and authorizes in `preHandler` every route that
 * declares `config.access`, through the single decision function.
 */
export function installSecurity(app: FastifyInstance, auth: RegistryAuth): void {
  app.decorate('registryAuth', auth);
  // Starts as null (Fastify wants reference-free decorations); onRequest always sets it.
  app.decorateRequest('identity', null as never);
  app.addHook('onRequest', async (request) => {
    request.identity = ANONYMOUS;
    if (!request.routeOptions.config.access) return;
    request.identity = await auth.authenticator.authenticate({
      authorization: request.headers.authorization,
      remoteAddress: request.ip,
    });
  });
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    if ('login' in access) {
      if (auth.authenticator.mode !== 'none' && request.identity.kind === 'anonymous') {
        throw registryError('UNAUTHORIZED');
      }
      return;
    }
    const needed = neededAccess(request);
    const decision = await authorize(request.identity, needed, auth.policy);
    if (decision === 'denied') throw registryError('DENIED', { detail: needed });
    if (decision !== 'allow') throw registryError('UNAUTHORIZED', { detail: needed });
  });
}
