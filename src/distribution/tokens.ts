/**
 * The Bearer token flow of the distribution spec (`docs/spec/auth/token.md`):
 * a 401 names a realm, a service and a scope; the client asks the realm for
 * a token (with Basic credentials, an OAuth refresh token, or anonymously)
 * and retries. Tokens are cached per realm, service, scope and user until
 * they expire.
 */
import { createHash } from 'node:crypto';
import { unauthenticated } from '../core/errors.js';
import type { AuthConfig } from './auth-config.js';
import type { Endpoint } from './endpoints.js';
import { readBody, send } from './transport.js';

/** A token server, as a challenge names it. */
export interface TokenRealm {
  realm: string;
  service?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** The spec's default lifetime when a token server does not say. */
const DEFAULT_EXPIRES_IN_S = 60;
/** Renew this long before expiry, so a token does not lapse in flight. */
const EXPIRY_MARGIN_MS = 5_000;

/** Tokens by realm, service, scopes and user; shared by every operation of a daemon. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  /** A valid token for `scopes`: from the cache, else freshly fetched. */
  async token(
    endpoint: Endpoint,
    realm: TokenRealm,
    scopes: readonly string[],
    auth: AuthConfig,
    signal?: AbortSignal,
  ): Promise<string> {
    if (auth.registrytoken) return auth.registrytoken;
    // Keyed by a digest of the whole credential, not the user name alone: a wrong password
    // for a user who logged in earlier must not be answered with that user's cached token.
    const key = JSON.stringify([realm.realm, realm.service, [...scopes].sort(), credentialKey(auth)]);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const fetched = await fetchToken(endpoint, realm, scopes, auth, signal);
    this.tokens.set(key, fetched);
    return fetched.token;
  }

  /** Forgets the tokens of `realm` (after the registry refused one). */
  forget(realm: TokenRealm): void {
    for (const key of this.tokens.keys()) {
      if ((JSON.parse(key) as string[])[0] === realm.realm) this.tokens.delete(key);
    }
  }
}

function credentialKey(auth: AuthConfig): string {
  const secret = JSON.stringify([auth.username ?? '', auth.password ?? '', auth.identitytoken ?? '']);
  return createHash('sha256').update(secret).digest('hex');
}

async function fetchToken(
  endpoint: Endpoint,
  realm: TokenRealm,
  scopes: readonly string[],
  auth: AuthConfig,
  signal?: AbortSignal,
): Promise<CachedToken> {
  const url = new URL(realm.realm);
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  let method = 'GET';
  if (auth.identitytoken) {
    // OAuth2 refresh-token grant, as docker does with an identity token.
    method = 'POST';
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: auth.identitytoken,
      client_id: 'berth',
      ...(realm.service ? { service: realm.service } : {}),
    });
    for (const scope of scopes) form.append('scope', scope);
    body = Buffer.from(form.toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else {
    if (realm.service) url.searchParams.set('service', realm.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    if (auth.username) {
      url.searchParams.set('account', auth.username);
      headers.Authorization = basicHeader(auth);
    }
  }
  let res: Awaited<ReturnType<typeof send>>;
  try {
    res = await send(endpoint, {
      method,
      url: url.href,
      headers,
      ...(body ? { body } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new Error(`Get "${url.href}": ${(err as Error).message}`, { cause: err });
  }
  const text = (await readBody(res, 1024 * 1024)).toString('utf8');
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw unauthenticated(
      `Get "${realm.realm}": ${registryErrorText(text) ?? 'unauthorized: incorrect username or password'}`,
    );
  }
  if (res.statusCode !== 200) {
    throw new Error(`token server ${url.host} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  }
  const parsed = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
  const token = parsed.token || parsed.access_token;
  if (!token) throw new Error(`token server ${url.host} returned no token`);
  const expiresIn = parsed.expires_in && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_EXPIRES_IN_S;
  return { token, expiresAt: Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS };
}

/** `Basic base64(user:password)`. */
export function basicHeader(auth: AuthConfig): string {
  return `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`;
}

/** `code: message` of the first error in a distribution error body, lower-cased as docker prints it. */
export function registryErrorText(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string };
    const first = parsed.errors?.[0];
    // errcode's Error(): the code lower-cased with spaces, then the message.
    if (first?.code) return `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`.trim();
    if (typeof parsed.details === 'string') return parsed.details;
  } catch {
    // Not JSON: the caller words the error.
  }
  return undefined;
}
