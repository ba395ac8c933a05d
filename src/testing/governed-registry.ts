import { existsSync } from 'node:fs';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { bin, busyboxArchive } from './paths.js';
import { type RunResult, runCommand } from './run.js';

export type Json = Record<string, unknown>;

/** skopeo, when this machine has it. */
export const skopeoBinary = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));

/** Runs skopeo without a signature policy (the test registries are unsigned). */
export function skopeo(args: string[]): Promise<RunResult> {
  return runCommand(skopeoBinary!, ['--insecure-policy', ...args], { timeoutMs: 120_000 });
}

/** Copies the busybox fixture to `destination` (docker://…) over plain HTTP, as `creds` (user:password) when given. */
export function pushBusybox(destination: string, creds?: string): Promise<RunResult> {
  return skopeo([
    'copy',
    '--dest-tls-verify=false',
    ...(creds ? ['--dest-creds', creds] : []),
    `docker-archive:${busyboxArchive}`,
    destination,
  ]);
}

/**
 * Starts berth-registry in token mode (projects, users, /api/v2.0) on `root`, its built-in
 * admin's first password being `adminPassword`: the variable is set only while it starts.
 */
export async function startGovernedRegistry(root: string, adminPassword: string): Promise<RegistryProcess> {
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
  process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = adminPassword;
  try {
    return await startRegistryProcess(bin('berth-registry'), ['--root', root, '--auth', 'token']);
  } finally {
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
  }
}

/** A reply's status and JSON body; `Body` is what the caller expects (an object unless told). */
export interface ApiReply<Body = Json> {
  status: number;
  body: Body;
}

/** Calls the registry's JSON API at `address` (host:port) as `user` with basic auth. */
export async function callRegistryApi<Body = Json>(
  address: string,
  user: string,
  password: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiReply<Body>> {
  const response = await fetch(`http://${address}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

/** The JSON API as admin, for a registry that a before() hook starts later. */
export function adminApi<Body = Json>(address: () => string, password: string) {
  return (method: string, path: string, body?: unknown) =>
    callRegistryApi<Body>(address(), 'admin', password, method, path, body);
}
