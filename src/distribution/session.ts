/**
 * Authenticated requests to one registry endpoint. The first request goes
 * out with whatever authorization the endpoint asked for before; a 401
 * carries a challenge (Basic, or Bearer with a token realm), which is
 * answered and the request sent once more. Challenges are remembered per
 * endpoint and tokens per scope (TokenCache), so a pull's many requests
 * cost one token fetch.
 */
import type { IncomingMessage } from 'node:http';
import { unauthenticated } from '../core/errors.js';
import type { AuthConfig } from './auth-config.js';
import { parseChallenges } from './challenge.js';
import type { Endpoint } from './endpoints.js';
import { basicHeader, registryErrorText, type TokenCache, type TokenRealm } from './tokens.js';
import { discard, readBody, send, type TransportRequest } from './transport.js';

type Authorization = { scheme: 'basic' } | { scheme: 'bearer'; realm: TokenRealm } | { scheme: 'none' };

/** What a session shares with others of the same daemon. */
export interface SessionShared {
  tokens: TokenCache;
  /** Last challenge seen per endpoint URL. */
  challenges: Map<string, Authorization>;
}

/** Creates the state sessions share. */
export function createSessionShared(tokens: TokenCache): SessionShared {
  return { tokens, challenges: new Map() };
}

/** Requests to one endpoint with one set of credentials and scopes (`repository:a/b:pull`). */
export class RegistrySession {
  constructor(
    readonly endpoint: Endpoint,
    private readonly auth: AuthConfig,
    private readonly scopes: readonly string[],
    private readonly shared: SessionShared,
  ) {}

  /** Sends `request`, answering one authentication challenge if the registry asks. */
  async request(request: TransportRequest): Promise<IncomingMessage> {
    const key = this.endpoint.url.href;
    const known = this.shared.challenges.get(key);
    const first = await send(this.endpoint, await this.authorize(request, known));
    if (first.statusCode !== 401) return first;
    const challenge = this.challengeOf(first);
    if (!challenge || challenge.scheme === 'none') return first;
    discard(first);
    this.shared.challenges.set(key, challenge);
    if (challenge.scheme === 'basic' && !this.auth.username && !this.auth.password) {
      // dockerd's words for a Basic registry asked without credentials.
      const url = new URL(request.url, this.endpoint.url).href;
      const method = request.method.charAt(0) + request.method.slice(1).toLowerCase();
      throw unauthenticated(`${method} "${url}": no basic auth credentials`);
    }
    if (known?.scheme === 'bearer' && challenge.scheme === 'bearer') this.shared.tokens.forget(known.realm);
    return send(this.endpoint, await this.authorize(request, challenge));
  }

  /** GET /v2/: checks the endpoint answers and the credentials are accepted (a login). */
  async ping(signal?: AbortSignal): Promise<IncomingMessage> {
    return this.request({ method: 'GET', url: '/v2/', ...(signal ? { signal } : {}) });
  }

  private async authorize(
    request: TransportRequest,
    how: Authorization | undefined,
  ): Promise<TransportRequest> {
    if (!how || how.scheme === 'none') return request;
    let value: string | undefined;
    if (how.scheme === 'basic') {
      if (!this.auth.username && !this.auth.password) return request;
      value = basicHeader(this.auth);
    } else {
      const token = await this.shared.tokens.token(
        this.endpoint,
        how.realm,
        this.scopes,
        this.auth,
        request.signal,
      );
      value = `Bearer ${token}`;
    }
    return { ...request, headers: { ...request.headers, Authorization: value } };
  }

  private challengeOf(res: IncomingMessage): Authorization | undefined {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      return {
        scheme: 'bearer',
        realm: {
          realm: bearer.params.realm,
          ...(bearer.params.service ? { service: bearer.params.service } : {}),
        },
      };
    }
    if (challenges.some((c) => c.scheme === 'basic')) return { scheme: 'basic' };
    return undefined;
  }
}

/** Turns a final 401 into docker's "unauthorized: …" error. */
export async function unauthorizedError(res: IncomingMessage, context: string): Promise<Error> {
  const text = (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
  return unauthenticated(`${context}${registryErrorText(text) ?? 'unauthorized: authentication required'}`);
}
