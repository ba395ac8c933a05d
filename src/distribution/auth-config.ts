/**
 * Registry credentials as the Engine API carries them: the X-Registry-Auth
 * header is base64url-encoded JSON of docker's AuthConfig; POST /auth takes
 * the same object as its body.
 */

/** docker's types/registry.AuthConfig (the fields a registry login uses). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** An OAuth refresh token from an earlier login. */
  identitytoken?: string;
  /** A bearer token to send as it is. */
  registrytoken?: string;
  serveraddress?: string;
}

/**
 * Decodes an X-Registry-Auth header. Like dockerd, a header that does not
 * decode means "no credentials" rather than an error (old clients sent junk).
 */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  try {
    const json = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const parsed = JSON.parse(json) as Record<string, unknown>;
    if (!parsed || typeof parsed !== 'object') return {};
    const pick = (key: string) => (typeof parsed[key] === 'string' ? (parsed[key] as string) : undefined);
    const config: AuthConfig = {};
    for (const key of ['username', 'password', 'identitytoken', 'registrytoken', 'serveraddress'] as const) {
      const field = pick(key);
      if (field) config[key] = field;
    }
    // docker's AuthConfig also has "auth": base64 "user:password".
    const auth = pick('auth');
    if (auth && !config.username) {
      const [user, ...rest] = Buffer.from(auth, 'base64').toString('utf8').split(':');
      if (user) config.username = user;
      if (rest.length > 0) config.password = rest.join(':');
    }
    return config;
  } catch {
    return {};
  }
}

/** Encodes credentials as the docker CLI does for X-Registry-Auth (base64url JSON). */
export function encodeRegistryAuth(config: AuthConfig): string {
  return Buffer.from(JSON.stringify(config)).toString('base64url');
}

/** Whether any credential is present. */
export function hasCredentials(config: AuthConfig): boolean {
  return Boolean(config.username || config.password || config.identitytoken || config.registrytoken);
}

/**
 * Decodes X-Registry-Config (what `docker build` sends): base64url JSON of
 * {server: AuthConfig}, the servers as config.json names them.
 */
export function decodeRegistryConfig(header: string | string[] | undefined): Record<string, AuthConfig> {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  try {
    const json = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const parsed = JSON.parse(json) as Record<string, unknown>;
    if (!parsed || typeof parsed !== 'object') return {};
    const configs: Record<string, AuthConfig> = {};
    for (const [server, entry] of Object.entries(parsed)) {
      if (!entry || typeof entry !== 'object') continue;
      configs[server] = decodeRegistryAuth(Buffer.from(JSON.stringify(entry)).toString('base64url'));
    }
    return configs;
  } catch {
    return {};
  }
}

/** The credentials of X-Registry-Config for one registry host (`docker.io` matches the index's URL). */
export function authForRegistry(configs: Record<string, AuthConfig>, domain: string): AuthConfig {
  const hostOf = (server: string) => {
    const host = server.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
    return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
  };
  for (const [server, auth] of Object.entries(configs)) if (hostOf(server) === domain) return auth;
  return {};
}
