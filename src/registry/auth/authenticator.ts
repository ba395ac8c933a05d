import { registryError } from '../errors.js';
import { type Access, formatScopes, type Identity } from './access.js';
import type { UserDirectory } from './htpasswd.js';
import type { LoginLimiter } from './login-limiter.js';
import type { TokenService } from './tokens.js';

/** The auth modes of `berth-registry serve --auth`. */
export type AuthMode = 'none' | 'htpasswd' | 'token';

/** What authentication sees of a request. */
export interface Credentials {
  authorization: string | undefined;
  remoteAddress: string;
}

/** Turns credentials into an identity and says how to ask for better ones. */
export interface Authenticator {
  readonly mode: AuthMode;
  /** The caller's identity. UNAUTHORIZED for wrong credentials, TOOMANYREQUESTS after many. */
  authenticate(credentials: Credentials): Promise<Identity>;
  /**
   * The WWW-Authenticate value of a 401 for a request that needed `needed`;
   * `origin` (scheme://host) builds a default token realm.
   */
  challenge(
    needed: readonly Access[],
    origin: string,
    error?: 'insufficient_scope' | 'invalid_token',
  ): string;
}

/** Mode `none`: everyone is anonymous and the policy lets anonymous do everything. */
export function createNoAuthenticator(): Authenticator {
  return {
    mode: 'none',
    authenticate: async () => ({ kind: 'anonymous' }),
    challenge: () => '',
  };
}

/** Splits `Basic base64(user:password)`; undefined for any other scheme. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Checks a user's password with failed-login limiting, keyed by address and user. */
export async function verifyLogin(
  users: UserDirectory,
  limiter: LoginLimiter,
  login: { user: string; password: string },
  remoteAddress: string,
): Promise<Identity> {
  const key = `${remoteAddress}\0${login.user}`;
  if (!limiter.allowed(key)) throw registryError('TOOMANYREQUESTS', { message: 'too many failed logins' });
  if (!(await users.verify(login.user, login.password, remoteAddress))) {
    limiter.failed(key);
    throw registryError('UNAUTHORIZED', { message: 'invalid username or password' });
  }
  limiter.succeeded(key);
  return { kind: 'user', name: login.user };
}

/** Mode `htpasswd`: HTTP Basic against bcrypt entries. */
export function createBasicAuthenticator(options: {
  users: UserDirectory;
  limiter: LoginLimiter;
  realm: string;
}): Authenticator {
  return {
    mode: 'htpasswd',
    async authenticate({ authorization, remoteAddress }) {
      const login = parseBasic(authorization);
      if (!login) return { kind: 'anonymous' };
      return verifyLogin(options.users, options.limiter, login, remoteAddress);
    },
    challenge: () => `Basic realm=${quote(options.realm)}`,
  };
}

/**
 * Mode `token`: Docker's token authentication. Requests carry a Bearer JWT
 * from the token endpoint; without one the caller is anonymous with no grants,
 * so every route answers 401 with a challenge naming realm, service and scope.
 */
export function createTokenAuthenticator(options: { tokens: TokenService; realm?: string }): Authenticator {
  return {
    mode: 'token',
    async authenticate({ authorization }) {
      if (!authorization || !/^bearer /i.test(authorization)) return { kind: 'anonymous', grants: [] };
      const token = await options.tokens.verifyAccessToken(authorization.slice(7).trim());
      return token.subject
        ? { kind: 'user', name: token.subject, grants: token.grants, issuedAt: token.issuedAt }
        : { kind: 'anonymous', grants: token.grants };
    },
    challenge(needed, origin, error) {
      const realm = options.realm ?? `${origin}/token`;
      let value = `Bearer realm=${quote(realm)},service=${quote(options.tokens.service)}`;
      if (needed.length > 0) value += `,scope=${quote(formatScopes(needed))}`;
      if (error) value += `,error=${quote(error)}`;
      return value;
    },
  };
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
