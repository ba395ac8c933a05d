import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';

/** Another registry (Distribution API v2): a proxy cache's upstream or a replication endpoint. */
export interface RemoteEndpoint {
  /** `http(s)://host[:port]`, no path. */
  url: string;
  username?: string;
  password?: string;
}

/** Every manifest type a cache or a copy must keep as it is. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Validates a remote's URL and credentials from the management API. */
export function checkEndpoint(value: unknown, field: string): RemoteEndpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${field}: must be an object with url (and optional username, password)`);
  const input = value as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !['url', 'username', 'password'].includes(k));
  if (unknown.length > 0) throw invalidArgument(`${field}.${unknown[0]}: unknown key`);
  const url = input['url'];
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw invalidArgument(`${field}.url: not a URL`);
  }
  if (typeof url !== 'string' || !['http:', 'https:'].includes(parsed.protocol))
    throw invalidArgument(`${field}.url: must be an http:// or https:// URL`);
  if (parsed.pathname !== '/' || parsed.search || parsed.username)
    throw invalidArgument(`${field}.url: only scheme, host and port (credentials go in username/password)`);
  const endpoint: RemoteEndpoint = { url: parsed.origin };
  for (const key of ['username', 'password'] as const) {
    const v = input[key];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw invalidArgument(`${field}.${key}: must be a string`);
    endpoint[key] = v;
  }
  return endpoint;
}

/** An error's message with its cause (fetch says only "fetch failed"; the cause says why). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/** A fetched manifest. */
export interface RemoteManifest {
  content: Buffer;
  mediaType: string;
  digest: string;
}

/** A small Distribution client: Basic or Bearer (token) auth, manifests, blobs, tags. */
export interface RemoteClient {
  readonly endpoint: RemoteEndpoint;
  /** The manifest's digest and type, or undefined when the remote lacks it. */
  headManifest(
    repository: string,
    reference: string,
  ): Promise<{ digest: string; mediaType: string } | undefined>;
  getManifest(repository: string, reference: string): Promise<RemoteManifest | undefined>;
  putManifest(repository: string, reference: string, manifest: RemoteManifest): Promise<void>;
  /** The blob's bytes as they arrive, with its size; undefined when absent. */
  getBlob(repository: string, digest: string): Promise<{ size: number; stream: Readable } | undefined>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Uploads a blob in one PUT (monolithic upload). */
  pushBlob(repository: string, digest: string, size: number, body: Readable): Promise<void>;
  /** All tags (empty when the repository does not exist). */
  tags(repository: string): Promise<string[]>;
  /** All repository names (the catalog; may need admin rights on the remote). */
  catalog(): Promise<string[]>;
}

const TIMEOUT_MS = 30_000;

/** A client of `endpoint`; tokens are cached per scope until they expire. */
export function createRemoteClient(endpoint: RemoteEndpoint, timeoutMs = TIMEOUT_MS): RemoteClient {
  const basic =
    endpoint.username !== undefined
      ? `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}`
      : undefined;
  const tokens = new Map<string, { value: string; until: number }>();

  const token = async (challenge: string, scope: string): Promise<string> => {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const realm = params['realm'];
    if (!realm) throw new Error(`${endpoint.url}: Bearer challenge without a realm`);
    const url = new URL(realm);
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', params['scope'] ?? scope);
    const res = await fetch(url, {
      headers: basic ? { authorization: basic } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`${endpoint.url}: token request refused (HTTP ${res.status})`);
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const value = body.token ?? body.access_token;
    if (!value) throw new Error(`${endpoint.url}: token response without a token`);
    tokens.set(scope, {
      value: `Bearer ${value}`,
      until: Date.now() + ((body.expires_in ?? 60) - 10) * 1000,
    });
    return `Bearer ${value}`;
  };

  /** One request, answering a 401 challenge once. Bodies that are streams cannot be replayed: callers pass a factory. */
  const request = async (
    method: string,
    path: string,
    scope: string,
    init: { headers?: Record<string, string>; body?: () => Uint8Array | Readable; timeout?: boolean } = {},
  ): Promise<Response> => {
    const send = (authorization: string | undefined) => {
      const body = init.body?.();
      return fetch(`${endpoint.url}${path}`, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        redirect: 'follow',
        ...(body !== undefined
          ? { body: body instanceof Readable ? Readable.toWeb(body) : body, duplex: 'half' }
          : {}),
        ...(init.timeout === false ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      } as RequestInit);
    };
    const cached = tokens.get(scope);
    let res = await send(cached && cached.until > Date.now() ? cached.value : basic);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    if (/^bearer /i.test(challenge)) res = await send(await token(challenge, scope));
    else if (basic) res = await send(basic);
    return res;
  };
  const fail = async (res: Response, what: string): Promise<never> => {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new Error(`${endpoint.url}: ${what}: HTTP ${res.status} ${text}`.trim());
  };
  const pullScope = (repository: string) => `repository:${repository}:pull`;
  const pushScope = (repository: string) => `repository:${repository}:pull,push`;

  return {
    endpoint,
    async headManifest(repository, reference) {
      const res = await request('HEAD', `/v2/${repository}/manifests/${reference}`, pullScope(repository), {
        headers: { accept: MANIFEST_TYPES },
      });
      if (res.status === 404) return undefined;
      if (!res.ok) return fail(res, `HEAD manifest ${repository}:${reference}`);
      const digest = res.headers.get('docker-content-digest');
      if (!digest) return undefined;
      return { digest, mediaType: res.headers.get('content-type') ?? '' };
    },
    async getManifest(repository, reference) {
      const res = await request('GET', `/v2/${repository}/manifests/${reference}`, pullScope(repository), {
        headers: { accept: MANIFEST_TYPES },
      });
      if (res.status === 404) return undefined;
      if (!res.ok) return fail(res, `GET manifest ${repository}:${reference}`);
      const content = Buffer.from(await res.arrayBuffer());
      const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      const claimed = res.headers.get('docker-content-digest');
      if (reference.startsWith('sha256:') && digest !== reference)
        throw new Error(`${endpoint.url}: manifest ${repository}@${reference} arrived with digest ${digest}`);
      if (claimed && claimed !== digest)
        throw new Error(
          `${endpoint.url}: manifest ${repository}:${reference} claims ${claimed}, is ${digest}`,
        );
      return { content, digest, mediaType: res.headers.get('content-type')?.split(';')[0]?.trim() ?? '' };
    },
    async putManifest(repository, reference, manifest) {
      const res = await request('PUT', `/v2/${repository}/manifests/${reference}`, pushScope(repository), {
        headers: { 'content-type': manifest.mediaType },
        body: () => new Uint8Array(manifest.content),
      });
      if (!res.ok) return fail(res, `PUT manifest ${repository}:${reference}`);
      await res.body?.cancel();
    },
    async getBlob(repository, digest) {
      const res = await request('GET', `/v2/${repository}/blobs/${digest}`, pullScope(repository), {
        timeout: false,
      });
      if (res.status === 404) return undefined;
      if (!res.ok || !res.body) return fail(res, `GET blob ${repository}@${digest}`);
      const size = Number(res.headers.get('content-length') ?? Number.NaN);
      if (!Number.isSafeInteger(size)) {
        await res.body.cancel();
        throw new Error(`${endpoint.url}: blob ${repository}@${digest} without a Content-Length`);
      }
      return { size, stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) };
    },
    async hasBlob(repository, digest) {
      const res = await request('HEAD', `/v2/${repository}/blobs/${digest}`, pullScope(repository));
      if (res.status === 404) return false;
      if (!res.ok) return fail(res, `HEAD blob ${repository}@${digest}`);
      return true;
    },
    async pushBlob(repository, digest, size, body) {
      const start = await request('POST', `/v2/${repository}/blobs/uploads/`, pushScope(repository), {
        headers: { 'content-length': '0' },
      });
      if (start.status !== 202) return fail(start, `start upload to ${repository}`);
      await start.body?.cancel();
      const location = new URL(start.headers.get('location') ?? '', `${endpoint.url}/`);
      location.searchParams.set('digest', digest);
      const res = await request('PUT', `${location.pathname}${location.search}`, pushScope(repository), {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: () => body,
        timeout: false,
      });
      if (res.status !== 201) return fail(res, `upload ${digest} to ${repository}`);
      await res.body?.cancel();
    },
    async tags(repository) {
      const res = await request('GET', `/v2/${repository}/tags/list`, pullScope(repository));
      if (res.status === 404) return [];
      if (!res.ok) return fail(res, `list tags of ${repository}`);
      return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
    },
    async catalog() {
      // Distribution refuses n above its page limit (1000): follow the Link header instead.
      const names: string[] = [];
      let path: string | undefined = '/v2/_catalog?n=1000';
      while (path) {
        const res = await request('GET', path, 'registry:catalog:*');
        if (!res.ok) return fail(res, 'catalog');
        names.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
        const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
        path = next ? new URL(next, endpoint.url).pathname + new URL(next, endpoint.url).search : undefined;
      }
      return names;
    },
  };
}
