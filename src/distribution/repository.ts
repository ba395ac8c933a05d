/**
 * The registry HTTP API v2 (OCI distribution spec) for one repository on one
 * endpoint: manifests, blobs, uploads, mounts. Errors name the registry and
 * keep docker's wording.
 */
import type { IncomingMessage } from 'node:http';
import { type Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerMediaType, OciMediaType } from '../core/descriptor.js';
import { type Digest, sha256Of } from '../core/digest.js';
import { invalidArgument, notFound, unavailable } from '../core/errors.js';
import type { RegistrySession } from './session.js';
import { unauthorizedError } from './session.js';
import { registryErrorText } from './tokens.js';
import { discard, readBody, send, type TransportRequest } from './transport.js';

/** Every manifest type Berth understands, as dockerd's Accept header lists them. */
export const MANIFEST_ACCEPT = [
  DockerMediaType.manifestList,
  DockerMediaType.manifest,
  OciMediaType.index,
  OciMediaType.manifest,
].join(', ');

/** A manifest or index as the registry served it. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/** Retries of a 429 before giving up; each waits for Retry-After (capped). */
const RATE_LIMIT_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 30_000;

/** A repository (`library/busybox`) reached through one session. */
export class RepositoryClient {
  constructor(
    readonly session: RegistrySession,
    readonly path: string,
  ) {}

  private get host(): string {
    return this.session.endpoint.url.host;
  }

  /** GET a manifest by tag or digest. A digest reference is verified against the bytes. */
  async getManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.request({
      method: 'GET',
      url: `/v2/${this.path}/manifests/${reference}`,
      headers: { Accept: MANIFEST_ACCEPT },
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 200) throw await this.error(res, `manifest for ${reference}`);
    const bytes = await readBody(res, 4 * 1024 * 1024);
    const digest = sha256Of(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw invalidArgument(`manifest verification failed for digest ${reference} (registry ${this.host})`);
    }
    const mediaType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    return { bytes, mediaType: mediaType || mediaTypeInside(bytes), digest };
  }

  /** Every tag of the repository (GET tags/list, following Link pages). */
  async listTags(signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `/v2/${this.path}/tags/list`;
    while (url) {
      const res = await this.request({ method: 'GET', url, ...(signal ? { signal } : {}) });
      if (res.statusCode !== 200) throw await this.error(res, `tags of ${this.path}`);
      const body = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
      url = link ? new URL(link[1]!, this.session.endpoint.url).href : undefined;
    }
    return tags;
  }

  /** Opens a blob from `offset` (a Range request when > 0); resolves with the body stream. */
  async openBlob(digest: Digest, offset: number, signal?: AbortSignal): Promise<IncomingMessage> {
    let res = await this.request({
      method: 'GET',
      url: `/v2/${this.path}/blobs/${digest}`,
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      ...(signal ? { signal } : {}),
    });
    // Registries may redirect blob reads to their storage; credentials stay behind.
    for (let hops = 0; isRedirect(res.statusCode) && hops < 5; hops++) {
      const location = new URL(String(res.headers.location), this.session.endpoint.url);
      discard(res);
      res = await send(this.session.endpoint, {
        method: 'GET',
        url: location.href,
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        ...(signal ? { signal } : {}),
      });
    }
    if (offset > 0 && res.statusCode === 200) {
      // The server ignored the Range: skip what we already have.
      return skipBytes(res, offset);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) throw await this.error(res, `blob ${digest}`);
    return res;
  }

  /** HEAD a blob: whether the repository has it. */
  async hasBlob(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    const res = await this.request({
      method: 'HEAD',
      url: `/v2/${this.path}/blobs/${digest}`,
      ...(signal ? { signal } : {}),
    });
    discard(res);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw await this.error(res, `blob ${digest}`);
  }

  /**
   * Starts an upload; with `mountFrom`, asks for a cross-repository mount
   * first. Resolves `mounted` when the registry mounted the blob, else the
   * upload's location.
   */
  async startUpload(options: {
    digest?: Digest;
    mountFrom?: string;
    signal?: AbortSignal;
  }): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const query =
      options.mountFrom && options.digest
        ? `?mount=${options.digest}&from=${encodeURIComponent(options.mountFrom)}`
        : '';
    const res = await this.request({
      method: 'POST',
      url: `/v2/${this.path}/blobs/uploads/${query}`,
      headers: { 'Content-Length': '0' },
      body: Buffer.alloc(0),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.statusCode !== 202 && !(res.statusCode === 201 && query))
      throw await this.error(res, 'blob upload');
    discard(res);
    if (res.statusCode === 201) return { mounted: true };
    return { mounted: false, location: this.locationOf(res) };
  }

  /** Sends a whole blob in the closing PUT (a monolithic upload). */
  async putBlob(
    location: string,
    digest: Digest,
    size: number,
    body: () => Readable,
    signal?: AbortSignal,
  ): Promise<void> {
    const url = withQuery(location, 'digest', digest);
    const res = await this.request({
      method: 'PUT',
      url,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 201) throw await this.error(res, `blob upload ${digest}`);
    discard(res);
  }

  /**
   * Sends a blob as PATCH chunks (each a fresh stream of its byte range, so
   * an authentication retry can send it again), then closes the upload with
   * an empty PUT carrying the digest.
   */
  async putBlobChunked(
    location: string,
    digest: Digest,
    chunks: readonly { offset: number; length: number; body: () => Readable }[],
    signal?: AbortSignal,
  ): Promise<void> {
    let next = location;
    for (const chunk of chunks) {
      const res = await this.request({
        method: 'PATCH',
        url: next,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(chunk.length),
          'Content-Range': `${chunk.offset}-${chunk.offset + chunk.length - 1}`,
        },
        body: chunk.body,
        ...(signal ? { signal } : {}),
      });
      if (res.statusCode !== 202) throw await this.error(res, `blob upload ${digest}`);
      discard(res);
      next = this.locationOf(res);
    }
    const res = await this.request({
      method: 'PUT',
      url: withQuery(next, 'digest', digest),
      headers: { 'Content-Length': '0' },
      body: Buffer.alloc(0),
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 201) throw await this.error(res, `blob upload ${digest}`);
    discard(res);
  }

  /** PUT a manifest under a tag (or digest); returns the digest the registry reports. */
  async putManifest(
    reference: string,
    mediaType: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<Digest> {
    const res = await this.request({
      method: 'PUT',
      url: `/v2/${this.path}/manifests/${reference}`,
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
      body: bytes,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 201) throw await this.error(res, `manifest ${reference}`);
    discard(res);
    return sha256Of(bytes);
  }

  /** Sends a request, waiting out 429 answers as Retry-After asks. */
  private async request(request: TransportRequest): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.session.request(request);
      if (res.statusCode !== 429 || attempt >= RATE_LIMIT_RETRIES) return res;
      discard(res);
      await sleep(
        retryAfterMs(res.headers['retry-after'], attempt),
        undefined,
        request.signal ? { signal: request.signal } : {},
      );
    }
  }

  private locationOf(res: IncomingMessage): string {
    const location = res.headers.location;
    if (!location) throw new Error(`registry ${this.host} sent no upload location`);
    return new URL(location, this.session.endpoint.url).href;
  }

  /** docker's wording for a failed request, naming the registry. */
  async error(res: IncomingMessage, what: string): Promise<Error> {
    if (res.statusCode === 401) return unauthorizedError(res, '');
    const text =
      (res as { req?: { method?: string } }).req?.method === 'HEAD'
        ? ''
        : (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
    const detail = registryErrorText(text);
    const status = res.statusCode ?? 0;
    if (status === 404) return notFound(`${what} not found: ${detail ?? 'not found'}`);
    if (status === 403) return unauthenticated403(detail);
    if (status === 429)
      return unavailable(`toomanyrequests: ${detail ?? 'rate limit exceeded'} (registry ${this.host})`);
    return unavailable(
      `received unexpected HTTP status: ${status} ${res.statusMessage ?? ''} from ${this.host}${detail ? `: ${detail}` : ''}`,
    );
  }
}

function unauthenticated403(detail: string | undefined) {
  return notFound(detail ?? 'denied: requested access to the resource is denied');
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Retry-After in seconds or as an HTTP date; back-off doubling from 1 s without one. */
function retryAfterMs(header: string | string[] | undefined, attempt: number): number {
  const value = Array.isArray(header) ? header[0] : header;
  let ms = 1000 * 2 ** attempt;
  if (value && /^\d+$/.test(value)) ms = Number(value) * 1000;
  else if (value && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - Date.now();
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function withQuery(location: string, key: string, value: string): string {
  const url = new URL(location);
  url.searchParams.set(key, value);
  return url.href;
}

function mediaTypeInside(bytes: Buffer): string {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown };
    if (parsed.mediaType) return parsed.mediaType;
    return Array.isArray(parsed.manifests) ? OciMediaType.index : OciMediaType.manifest;
  } catch {
    return '';
  }
}

/** A response body without its first `count` bytes. */
function skipBytes(res: IncomingMessage, count: number): IncomingMessage {
  let left = count;
  const skipper = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return done();
      }
      const rest = chunk.subarray(left);
      left = 0;
      done(null, rest);
    },
  });
  res.on('error', (err) => skipper.destroy(err));
  res.pipe(skipper);
  return Object.assign(skipper, { statusCode: 206, headers: res.headers }) as unknown as IncomingMessage;
}
