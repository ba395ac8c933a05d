/**
 * POST /auth: checks credentials against a registry as dockerd's loginV2
 * does: GET /v2/ with them (Basic, or a token fetched with them) must
 * answer 200.
 */
import { invalidArgument, unauthenticated } from '../core/errors.js';
import { DEFAULT_DOMAIN } from '../images/reference.js';
import type { AuthConfig } from './auth-config.js';
import type { RegistryConnector } from './connect.js';
import { discard } from './transport.js';

/** What dockerd answers to a successful login. */
export interface LoginResult {
  status: 'Login Succeeded';
  identityToken: string;
}

/** Checks `auth` against the registry it names (Docker Hub when none). */
export async function login(
  connector: RegistryConnector,
  auth: AuthConfig,
  signal?: AbortSignal,
): Promise<LoginResult> {
  const registry = registryOfServerAddress(auth.serveraddress ?? '');
  await connector.open({ registry, path: '' }, auth, { forPull: false, actions: '' }, async (repo) => {
    const res = await repo.session.ping(signal);
    discard(res);
    if (res.statusCode === 200) return;
    const endpoint = new URL('/v2/', repo.session.endpoint.url).href;
    const text =
      `login attempt to ${endpoint} failed with status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
    if (res.statusCode === 401) throw unauthenticated(text);
    throw invalidArgument(text);
  });
  return { status: 'Login Succeeded', identityToken: '' };
}

/**
 * The registry name a login's server address means: Docker Hub for none or
 * for `https://index.docker.io/v1/`, else the host[:port] without scheme or path.
 */
export function registryOfServerAddress(address: string): string {
  let host = address
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  if (host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io') host = DEFAULT_DOMAIN;
  return host;
}
