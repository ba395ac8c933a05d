/**
 * The client's registry credentials, kept as docker keeps them: a
 * config.json (here ~/.berth/config.json, or $BERTH_CONFIG/config.json) with
 * `auths` entries holding base64 "user:password", unless `credHelpers`
 * (per registry) or `credsStore` (for all) names a docker-credential-*
 * program, which then stores and returns them through its get/store/erase
 * protocol.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/fs-atomic.js';

/** Credentials as the Engine API carries them (docker's AuthConfig). */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress?: string;
}

/**
 * The registry a login's server address means: Docker Hub for none or for
 * `https://index.docker.io/v1/`, else the host[:port] without scheme or path.
 */
export function registryOfServerAddress(address: string): string {
  let host = address
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  if (host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  return host;
}

/** Docker Hub's key in config.json, as the docker CLI writes it. */
export const HUB_SERVER = 'https://index.docker.io/v1/';

/** The parts of config.json we read and write; anything else is kept as it is. */
interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** The directory config.json lives in. */
export function configDir(): string {
  return process.env.BERTH_CONFIG || join(homedir(), '.berth');
}

const configPath = () => join(configDir(), 'config.json');

async function readConfig(): Promise<ConfigFile> {
  try {
    return JSON.parse(await readFile(configPath(), 'utf8')) as ConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`loading config file ${configPath()}: ${(err as Error).message}`);
  }
}

async function writeConfig(config: ConfigFile): Promise<void> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  await writeFileAtomic(configPath(), `${JSON.stringify(config, null, '\t')}\n`, 0o600);
}

/** The config.json key of a registry: Hub's URL for docker.io, else host[:port]. */
export function serverKey(registry: string): string {
  return registry === 'docker.io' ? HUB_SERVER : registry;
}

function helperFor(config: ConfigFile, key: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credsStore;
}

/** Runs docker-credential-<helper> <action> with `input` on stdin. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', (err) =>
      reject(new Error(`error getting credentials - err: ${err.message}, out: \`${out.trim()}\``)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(out.trim() || `docker-credential-${helper} ${action} exited with ${code}`));
    });
    child.stdin.end(input);
  });
}

/** The stored credentials for `registry` (empty when there are none). */
export async function getCredentials(registry: string): Promise<AuthConfig> {
  const config = await readConfig();
  const key = serverKey(registry);
  const helper = helperFor(config, key);
  if (helper) {
    try {
      const reply = JSON.parse(await runHelper(helper, 'get', key)) as { Username?: string; Secret?: string };
      if (!reply.Username && !reply.Secret) return {};
      // A helper's "<token>" user means the secret is an identity token, as docker reads it.
      if (reply.Username === '<token>') return { identitytoken: reply.Secret ?? '', serveraddress: key };
      return { username: reply.Username ?? '', password: reply.Secret ?? '', serveraddress: key };
    } catch (err) {
      if (/credentials not found/i.test((err as Error).message)) return {};
      throw err;
    }
  }
  const entry = config.auths?.[key] ?? config.auths?.[`https://${key}`] ?? config.auths?.[`http://${key}`];
  if (!entry) return {};
  const auth: AuthConfig = { serveraddress: key };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    auth.username = colon < 0 ? decoded : decoded.slice(0, colon);
    auth.password = colon < 0 ? '' : decoded.slice(colon + 1);
  }
  if (entry.identitytoken) auth.identitytoken = entry.identitytoken;
  return auth;
}

/** Stores credentials for `registry`; returns the helper used, if any. */
export async function storeCredentials(registry: string, auth: AuthConfig): Promise<string | undefined> {
  const config = await readConfig();
  const key = serverKey(registry);
  const helper = helperFor(config, key);
  config.auths ??= {};
  if (helper) {
    const secret = auth.identitytoken || auth.password || '';
    const user = auth.identitytoken ? '<token>' : (auth.username ?? '');
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: user, Secret: secret }));
    // docker keeps an empty entry so `docker info`-style listings know of the login.
    config.auths[key] = {};
  } else {
    config.auths[key] = {
      auth: Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64'),
      ...(auth.identitytoken ? { identitytoken: auth.identitytoken } : {}),
    };
  }
  await writeConfig(config);
  return helper;
}

/** Removes the credentials for `registry`; false when there were none. */
export async function eraseCredentials(registry: string): Promise<boolean> {
  const config = await readConfig();
  const key = serverKey(registry);
  const helper = helperFor(config, key);
  const known = Boolean(config.auths?.[key]);
  if (helper) await runHelper(helper, 'erase', key).catch(() => undefined);
  if (config.auths?.[key]) {
    delete config.auths[key];
    await writeConfig(config);
  }
  return known || Boolean(helper);
}

/** The X-Registry-Auth header for a registry, as the docker CLI sends it (base64url JSON). */
export async function registryAuthHeader(registry: string): Promise<string> {
  const auth = await getCredentials(registry);
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
}

/**
 * The X-Registry-Config header of a build: the credentials of every registry
 * config.json knows (auths and credHelpers), keyed as config.json keys them,
 * as the docker CLI sends them so FROM can pull private images.
 */
export async function registryConfigHeader(): Promise<string> {
  const config = await readConfig();
  const keys = new Set([...Object.keys(config.auths ?? {}), ...Object.keys(config.credHelpers ?? {})]);
  const all: Record<string, AuthConfig> = {};
  for (const key of keys) {
    const registry = registryOfServerAddress(key);
    const auth = await getCredentials(registry).catch(() => undefined);
    if (auth && Object.keys(auth).length > 0) all[key] = auth;
  }
  return Buffer.from(JSON.stringify(all)).toString('base64url');
}
