import { registryError } from '../errors.js';
import { type Access, type AccessPolicy, type Identity, parseScope } from './access.js';
import { verifyLogin } from './authenticator.js';
import type { UserDirectory } from './htpasswd.js';
import type { LoginLimiter } from './login-limiter.js';
import type { TokenService } from './tokens.js';

/** A token request, from either the GET (Basic) or POST (OAuth2 form) flavour. */
export interface TokenRequest {
  login?: { user: string; password: string };
  refreshToken?: string;
  /** Raw `scope` values; each may hold several space-separated scopes. */
  scopes: readonly string[];
  /** The client wants a refresh token (`offline_token=true`, `access_type=offline`). */
  offline: boolean;
  remoteAddress: string;
}

/** What the token endpoint answers. */
export interface TokenGrant {
  token: string;
  expiresIn: number;
  issuedAt: string;
  refreshToken?: string;
  /** The granted scopes, space-separated. */
  scope: string;
}

/** What granting needs. */
export interface TokenGrantDeps {
  tokens: TokenService;
  users: UserDirectory;
  limiter: LoginLimiter;
  policy: AccessPolicy;
}

/**
 * Docker's token flow: authenticate the caller (password, refresh token or
 * nobody), then grant the subset of the requested scopes that the access
 * policy allows. An unknown scope is not an error: it is simply not granted.
 */
export async function grantToken(deps: TokenGrantDeps, request: TokenRequest): Promise<TokenGrant> {
  const identity = await identify(deps, request);
  const requested = request.scopes.flatMap((value) => value.split(' ')).flatMap(parseScope);
  const granted: Access[] = [];
  for (const access of requested) {
    if (await deps.policy.allows(identity, access)) granted.push(access);
  }
  const subject = identity.kind === 'user' ? identity.name : undefined;
  const issued = await deps.tokens.issueAccessToken(subject, granted);
  const refreshToken =
    subject && (request.offline || request.refreshToken)
      ? await deps.tokens.issueRefreshToken(subject)
      : undefined;
  return {
    ...issued,
    ...(refreshToken ? { refreshToken } : {}),
    scope: granted.map((a) => `${a.type}:${a.name}:${a.action}`).join(' '),
  };
}

async function identify(deps: TokenGrantDeps, request: TokenRequest): Promise<Identity> {
  if (request.refreshToken) {
    const { subject, issuedAt } = await deps.tokens.verifyRefreshToken(request.refreshToken);
    if (deps.users.acceptsRefresh && !(await deps.users.acceptsRefresh(subject, issuedAt))) {
      throw registryError('UNAUTHORIZED', { message: 'refresh token no longer valid; log in again' });
    }
    return { kind: 'user', name: subject };
  }
  if (request.login) return verifyLogin(deps.users, deps.limiter, request.login, request.remoteAddress);
  return { kind: 'anonymous' };
}
