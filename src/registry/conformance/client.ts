/**
 * What the conformance suites share: a real `berth-registry serve` process
 * on a loopback port with a fresh root, and a plain HTTP client (fetch) that
 * sees exactly what any other client would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciMediaType } from '../../core/descriptor.js';
import { type Digest, sha256Of } from '../../core/digest.js';
import { bin } from '../../testing/paths.js';
import { type RegistryProcess, startRegistryProcess } from '../testing/process.js';

/** One answer, body read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The first error code of a `{"errors":[…]}` body. */
  errorCode(): string | undefined;
  json<T = unknown>(): T;
}

/** A running registry and a client for it. */
export interface ConformanceRegistry {
  base: string;
  root: string;
  process: RegistryProcess;
  request(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: Buffer | string },
  ): Promise<Answer>;
  /** Pushes a blob with POST + PUT; returns its digest. */
  pushBlob(name: string, content: Buffer | string): Promise<Digest>;
  /** Pushes a config and one layer, then an OCI manifest under `reference`; returns the manifest bytes and digest. */
  pushImage(
    name: string,
    reference: string,
    extra?: Record<string, unknown>,
  ): Promise<{ digest: Digest; bytes: Buffer }>;
  /** PUTs manifest bytes with their media type. */
  putManifest(name: string, reference: string, bytes: Buffer, mediaType?: string): Promise<Answer>;
  stop(): Promise<void>;
}

/**
 * Starts `berth-registry serve --auth none` on a temp root. `config` is YAML
 * for `--config` (limits, expiry, database); the temp root is removed by stop().
 */
export async function startConformanceRegistry(config = ''): Promise<ConformanceRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'berth-registry-conformance-'));
  // A `root:` in the config (another replica's) wins over the temp one.
  const args = config.includes('root:')
    ? ['--auth', 'none']
    : ['--root', join(root, 'data'), '--auth', 'none'];
  if (config) {
    await writeFile(join(root, 'config.yml'), config);
    args.push('--config', join(root, 'config.yml'));
  }
  let server: RegistryProcess;
  try {
    server = await startRegistryProcess(bin('berth-registry'), args);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const base = `http://${server.address}`;
  const request: ConformanceRegistry['request'] = async (method, path, options = {}) => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      redirect: 'manual',
    });
    const body = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      headers: response.headers,
      body,
      errorCode: () => {
        try {
          return (JSON.parse(body.toString()) as { errors?: { code: string }[] }).errors?.[0]?.code;
        } catch {
          return undefined;
        }
      },
      json: <T>() => JSON.parse(body.toString()) as T,
    };
  };
  const pushBlob = async (name: string, content: Buffer | string) => {
    const digest = sha256Of(content);
    const started = await request('POST', `/v2/${name}/blobs/uploads/`);
    if (started.status !== 202) throw new Error(`POST answered ${started.status}`);
    const location = new URL(started.headers.get('location') ?? '', base);
    location.searchParams.set('digest', digest);
    const put = await request('PUT', location.pathname + location.search, {
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(content),
    });
    if (put.status !== 201) throw new Error(`PUT answered ${put.status} ${put.body}`);
    return digest;
  };
  const putManifest = (name: string, reference: string, bytes: Buffer, mediaType = OciMediaType.manifest) =>
    request('PUT', `/v2/${name}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
  return {
    base,
    root,
    process: server,
    request,
    pushBlob,
    putManifest,
    async pushImage(name, reference, extra = {}) {
      const config = `{"architecture":"amd64","os":"linux","seed":"${name}:${reference}"}`;
      const layer = `layer of ${name}:${reference}`;
      const bytes = ociManifest(
        { digest: await pushBlob(name, config), size: config.length },
        [{ digest: await pushBlob(name, layer), size: layer.length }],
        extra,
      );
      const put = await putManifest(name, reference, bytes);
      if (put.status !== 201) throw new Error(`manifest PUT answered ${put.status} ${put.body}`);
      return { digest: sha256Of(bytes), bytes };
    },
    async stop() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** An OCI image manifest. */
export function ociManifest(
  config: { digest: Digest; size: number; mediaType?: string },
  layers: { digest: Digest; size: number }[],
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OciMediaType.manifest,
      config: { mediaType: OciMediaType.config, ...config },
      layers: layers.map((l) => ({ mediaType: OciMediaType.layerGzip, ...l })),
      ...extra,
    }),
  );
}

/** The canonical empty descriptor of OCI artifacts (`{}`). */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: sha256Of('{}'),
  size: 2,
};
