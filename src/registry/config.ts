import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { invalidArgument } from '../core/errors.js';
import { isLogLevel, type LogLevel } from '../core/logger.js';
import { parseRamSize } from '../core/units.js';
import type { AuthMode } from './auth/authenticator.js';

/** The registry's configuration, after defaults (see docs/registry.md). */
export interface RegistryConfig {
  /** HOST:PORT to listen on. */
  addr: string;
  /** Serve plain HTTP on a non-loopback address (normally TLS is required there). */
  allowPlainHttp: boolean;
  /** Blobs, uploads, the database and generated keys live here. */
  root: string;
  /** SQLite at `path`, or PostgreSQL when `url` is set (postgres://…). */
  database: { path: string; url?: string };
  tls?: { cert: string; key: string };
  log: { level: LogLevel };
  auth: {
    mode: AuthMode;
    /** Basic realm, and the token service name's default. */
    realm: string;
    /** bcrypt htpasswd file: users of `htpasswd` mode and of the token service. */
    htpasswd?: string;
    anonymousPull: boolean;
    loginFailures: { max: number; windowSeconds: number };
    token: {
      /** Absolute token endpoint URL; default: this server's /token as the client reached it. */
      realm?: string;
      service: string;
      issuer: string;
      /** PEM private key (EC P-256 or RSA); default: generated at <root>/token-signing-key.pem. */
      key?: string;
      expiresInSeconds: number;
      refreshExpiresInSeconds: number;
    };
  };
  gc: { intervalSeconds: number; gracePeriodSeconds: number; deleteUntagged: boolean };
  uploads: { expirySeconds: number };
  limits: { manifestMaxBytes: number; blobMaxBytes: number; pageSize: number };
}

/** Command-line flags that override the file. */
export interface ConfigOverrides {
  addr?: string;
  root?: string;
  auth?: AuthMode;
}

type Tree = Record<string, unknown>;

const DEFAULT_ROOT = '/var/lib/berth-registry';

/** Reads the YAML file (when given), applies flags and defaults, and validates. */
export async function loadRegistryConfig(
  file: string | undefined,
  overrides: ConfigOverrides,
): Promise<RegistryConfig> {
  const tree = file ? parseYaml(await readFile(file, 'utf8'), file) : {};
  return buildConfig(tree, overrides);
}

function parseYaml(text: string, file: string): Tree {
  const value: unknown = parse(text) ?? {};
  if (!isTree(value)) throw invalidArgument(`${file}: the configuration must be a mapping`);
  return value;
}

/** Validates a parsed configuration tree; unknown keys are errors, as in dockerd. */
export function buildConfig(tree: Tree, overrides: ConfigOverrides = {}): RegistryConfig {
  const top = section(tree, '', [
    'addr',
    'allowPlainHttp',
    'root',
    'database',
    'tls',
    'log',
    'auth',
    'gc',
    'uploads',
    'limits',
  ]);
  const root = resolve(overrides.root ?? str(top, 'root') ?? DEFAULT_ROOT);
  const database = section(top, 'database', ['path', 'url']);
  const databaseUrl = str(database, 'database.url');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw invalidArgument('database.url: must be a PostgreSQL URL (postgres://user@host:port/database)');
  }
  const tls = top['tls'] === undefined ? undefined : section(top, 'tls', ['cert', 'key']);
  const log = section(top, 'log', ['level']);
  const level = str(log, 'log.level') ?? 'info';
  if (!isLogLevel(level)) throw invalidArgument(`log.level: unknown level ${level}`);
  const cert = tls && str(tls, 'tls.cert');
  const key = tls && str(tls, 'tls.key');
  if (tls && (!cert || !key)) throw invalidArgument('tls: both cert and key are required');
  return {
    addr: overrides.addr ?? str(top, 'addr') ?? '127.0.0.1:5000',
    allowPlainHttp: bool(top, 'allowPlainHttp', false),
    root,
    database: {
      path: str(database, 'database.path') ?? join(root, 'registry.db'),
      ...(databaseUrl ? { url: databaseUrl } : {}),
    },
    ...(cert && key ? { tls: { cert, key } } : {}),
    log: { level },
    auth: authConfig(
      section(top, 'auth', ['mode', 'realm', 'htpasswd', 'anonymousPull', 'loginFailures', 'token']),
      overrides,
    ),
    gc: gcConfig(section(top, 'gc', ['interval', 'gracePeriod', 'deleteUntagged'])),
    uploads: { expirySeconds: duration(section(top, 'uploads', ['expiry']), 'uploads.expiry', 24 * 3600) },
    limits: limitsConfig(section(top, 'limits', ['manifestMaxBytes', 'blobMaxBytes', 'pageSize'])),
  };
}

function authConfig(auth: Tree, overrides: ConfigOverrides): RegistryConfig['auth'] {
  const mode = overrides.auth ?? str(auth, 'auth.mode') ?? 'none';
  if (mode !== 'none' && mode !== 'htpasswd' && mode !== 'token') {
    throw invalidArgument(`auth.mode: must be none, htpasswd or token, not ${mode}`);
  }
  const htpasswd = str(auth, 'auth.htpasswd');
  if (mode === 'htpasswd' && !htpasswd) throw invalidArgument('auth.htpasswd: required in htpasswd mode');
  const realm = str(auth, 'auth.realm') ?? 'berth-registry';
  const failures = section(auth, 'loginFailures', ['max', 'window']);
  const token = section(auth, 'token', [
    'realm',
    'service',
    'issuer',
    'key',
    'expiresIn',
    'refreshExpiresIn',
  ]);
  const tokenRealm = str(token, 'auth.token.realm');
  const tokenKey = str(token, 'auth.token.key');
  return {
    mode,
    realm,
    ...(htpasswd ? { htpasswd } : {}),
    anonymousPull: bool(auth, 'auth.anonymousPull', false),
    loginFailures: {
      max: int(failures, 'auth.loginFailures.max', 10),
      windowSeconds: duration(failures, 'auth.loginFailures.window', 60, 'window'),
    },
    token: {
      ...(tokenRealm ? { realm: tokenRealm } : {}),
      service: str(token, 'auth.token.service') ?? realm,
      issuer: str(token, 'auth.token.issuer') ?? realm,
      ...(tokenKey ? { key: tokenKey } : {}),
      expiresInSeconds: duration(token, 'auth.token.expiresIn', 300, 'expiresIn'),
      refreshExpiresInSeconds: duration(
        token,
        'auth.token.refreshExpiresIn',
        30 * 24 * 3600,
        'refreshExpiresIn',
      ),
    },
  };
}

function gcConfig(gc: Tree): RegistryConfig['gc'] {
  return {
    intervalSeconds: duration(gc, 'gc.interval', 3600, 'interval'),
    gracePeriodSeconds: duration(gc, 'gc.gracePeriod', 3600, 'gracePeriod'),
    deleteUntagged: bool(gc, 'gc.deleteUntagged', false),
  };
}

function limitsConfig(limits: Tree): RegistryConfig['limits'] {
  const bytes = (key: string, fallback: number) => {
    const size = limits[key];
    return size === undefined ? fallback : typeof size === 'number' ? size : parseRamSize(String(size));
  };
  return {
    manifestMaxBytes: bytes('manifestMaxBytes', 4 * 1024 * 1024),
    blobMaxBytes: bytes('blobMaxBytes', 0),
    pageSize: int(limits, 'limits.pageSize', 1000),
  };
}

function section(parent: Tree, key: string, allowed: readonly string[]): Tree {
  const value = key === '' ? parent : (parent[key] ?? {});
  if (!isTree(value)) throw invalidArgument(`${key}: must be a mapping`);
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw invalidArgument(`unknown configuration key ${key ? `${key}.` : ''}${unknown[0]}`);
  return value;
}

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const leaf = (path: string) => path.slice(path.lastIndexOf('.') + 1);

function str(tree: Tree, path: string): string | undefined {
  const value = tree[leaf(path)];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number')
    throw invalidArgument(`${path}: must be a string`);
  return String(value);
}

function bool(tree: Tree, path: string, fallback: boolean): boolean {
  const value = tree[leaf(path)];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`${path}: must be true or false`);
  return value;
}

function int(tree: Tree, path: string, fallback: number): number {
  const value = tree[leaf(path)];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${path}: must be a non-negative integer`);
  }
  return value;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number or a string such as `90s`, `30m`, `1h`, `7d`. */
function duration(tree: Tree, path: string, fallback: number, key = leaf(path)): number {
  const value = tree[key];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value >= 0) return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim()) : null;
  if (!match) throw invalidArgument(`${path}: must be a duration such as 30s, 15m, 1h or 7d`);
  return Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1);
}
