import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { registryError } from '../errors.js';
import type { Access, Action } from './access.js';
import type { SigningKey } from './signing-key.js';

/** A token's `access` claim entry, as Docker's token spec defines it. */
export interface AccessClaim {
  type: string;
  name: string;
  actions: string[];
}

/** An issued access token. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

/** What a verified access token says. */
export interface VerifiedToken {
  subject: string | undefined;
  grants: Access[];
  /** When it was issued (Unix seconds), so an account made later can refuse it. */
  issuedAt: number;
}

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  key: SigningKey;
  issuer: string;
  /** The `service` clients name; the tokens' audience. */
  service: string;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
}

/** Signs and verifies access and refresh tokens (JWTs). */
export interface TokenService {
  readonly service: string;
  issueAccessToken(subject: string | undefined, grants: readonly Access[]): Promise<IssuedToken>;
  issueRefreshToken(subject: string): Promise<string>;
  /** UNAUTHORIZED when the token is forged, expired, or meant for another service. */
  verifyAccessToken(token: string): Promise<VerifiedToken>;
  /** The subject and issue time (Unix seconds) of a valid refresh token; UNAUTHORIZED otherwise. */
  verifyRefreshToken(token: string): Promise<{ subject: string; issuedAt: number }>;
}

const REFRESH_TYPE = 'refresh';

/** A token service over one signing key. Verified access tokens are cached until they expire. */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { key, issuer, service } = options;
  const cache = new Map<string, VerifiedToken & { expiresAt: number }>();
  const sign = (claims: Record<string, unknown>, subject: string | undefined, seconds: number) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: key.keyId, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(service)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${seconds}s`)
      .setJti(randomUUID());
    return (subject ? jwt.setSubject(subject) : jwt).sign(key.privateKey);
  };
  const verify = async (token: string) => {
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        issuer,
        audience: service,
        algorithms: [key.algorithm],
      });
      return payload;
    } catch (err) {
      throw registryError('UNAUTHORIZED', { message: 'invalid token', cause: err });
    }
  };
  return {
    service,
    async issueAccessToken(subject, grants) {
      const token = await sign({ access: toClaims(grants) }, subject, options.accessTokenSeconds);
      return { token, expiresIn: options.accessTokenSeconds, issuedAt: new Date().toISOString() };
    },
    issueRefreshToken(subject) {
      return sign({ token_type: REFRESH_TYPE }, subject, options.refreshTokenSeconds);
    },
    async verifyAccessToken(token) {
      const cached = cache.get(token);
      if (cached && cached.expiresAt > Date.now()) return cached;
      const payload = await verify(token);
      if (payload['token_type'] === REFRESH_TYPE)
        throw registryError('UNAUTHORIZED', { message: 'invalid token' });
      const verified = {
        subject: payload.sub,
        grants: fromClaims(payload['access']),
        issuedAt: payload.iat ?? 0,
      };
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { ...verified, expiresAt: (payload.exp ?? 0) * 1000 });
      return verified;
    },
    async verifyRefreshToken(token) {
      const payload = await verify(token);
      if (payload['token_type'] !== REFRESH_TYPE || !payload.sub) {
        throw registryError('UNAUTHORIZED', { message: 'invalid refresh token' });
      }
      return { subject: payload.sub, issuedAt: payload.iat ?? 0 };
    },
  };
}

function toClaims(grants: readonly Access[]): AccessClaim[] {
  const claims = new Map<string, AccessClaim>();
  for (const grant of grants) {
    const key = `${grant.type}:${grant.name}`;
    const claim = claims.get(key) ?? { type: grant.type, name: grant.name, actions: [] };
    if (!claim.actions.includes(grant.action)) claim.actions.push(grant.action);
    claims.set(key, claim);
  }
  return [...claims.values()];
}

function fromClaims(value: unknown): Access[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: Partial<AccessClaim>) => {
    if ((entry.type !== 'repository' && entry.type !== 'registry') || typeof entry.name !== 'string')
      return [];
    const type = entry.type;
    const name = entry.name;
    return (Array.isArray(entry.actions) ? entry.actions : [])
      .filter((action): action is Action => ['pull', 'push', 'delete', '*'].includes(action))
      .map((action) => ({ type, name, action }));
  });
}
