import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Of } from '../core/digest.js';
import { hasDistribution } from '../registry/testing/distribution.js';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { bin, busyboxArchive } from './paths.js';
import { type RunResult, runCommand } from './run.js';

export type Json = Record<string, unknown>;

/** skopeo, when this machine has it. */
export const skopeoBinary = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));

/** Why a test needing skopeo and CNCF Distribution (`role`: what Distribution is for) must skip, or false. */
export function skopeoAndDistributionSkipReason(role: string): string | false {
  if (!skopeoBinary) return 'no skopeo';
  return hasDistribution() ? false : `no docker-registry (Debian package docker-registry) ${role}`;
}

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
export async function startGovernedRegistry(
  root: string,
  adminPassword: string,
  extraArgs: readonly string[] = [],
): Promise<RegistryProcess> {
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
  process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = adminPassword;
  try {
    return await startRegistryProcess(bin('berth-registry'), [
      '--root',
      root,
      '--auth',
      'token',
      ...extraArgs,
    ]);
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

/** Polls replication execution `id` through `admin` until it no longer runs (two minutes at most); returns it. */
export async function finishedExecution(
  admin: (method: string, path: string) => Promise<ApiReply<Json>>,
  id: number,
): Promise<Json> {
  for (let i = 0; i < 1200; i++) {
    const execution = (await admin('GET', `/api/v2.0/replication/executions/${id}`)).body;
    if (execution['status'] !== 'running') return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`execution ${id} did not finish`);
}

/** The JSON API as admin, for a registry that a before() hook starts later. */
export function adminApi<Body = Json>(address: () => string, password: string) {
  return (method: string, path: string, body?: unknown) =>
    callRegistryApi<Body>(address(), 'admin', password, method, path, body);
}

/** Writes an OCI layout (at DIR/layout, tag `big`) holding one image whose only layer is `bytes` of random data (uncompressed tar). */
export async function bigImageLayout(dir: string, bytes: number): Promise<void> {
  const content = join(dir, 'content');
  await mkdir(content, { recursive: true });
  await writeFile(join(content, 'random.bin'), randomBytes(bytes));
  const tar = await runCommand('tar', ['-C', content, '-cf', join(dir, 'layer.tar'), 'random.bin']);
  assert.equal(tar.code, 0, tar.stderr);
  const blobs = join(dir, 'layout', 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer) => {
    const digest = sha256Of(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return { digest, size: data.byteLength };
  };
  const layer = await put(await readFile(join(dir, 'layer.tar')));
  const diffId = layer.digest;
  const config = await put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [diffId] },
        config: {},
      }),
    ),
  );
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  await writeFile(join(dir, 'layout', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, 'layout', 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'big' },
        },
      ],
    }),
  );
}
