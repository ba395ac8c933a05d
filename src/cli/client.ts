import { readFileSync } from 'node:fs';
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { deferredCaSet } from './extra-ca.js';
import type { Endpoint } from './hosts.js';

/** The newest Engine API version this client speaks. */
export const CLIENT_API_VERSION = '1.45';

/** A daemon error: an HTTP status with the daemon's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  constructor(endpoint: Endpoint, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      endpoint.socketPath !== undefined
        ? `Cannot connect to the Berth daemon at ${endpoint.address}. Is the daemon running?`
        : `Cannot connect to the Berth daemon at ${endpoint.address}. Is the daemon running? (${detail})`,
      { cause },
    );
    this.name = 'ConnectionError';
  }
}

/** What a request carries besides its method and path. */
export interface RequestInit {
  query?: Record<string, string | number | boolean | undefined | string[]>;
  /** A JSON body. */
  body?: unknown;
  /** A streamed body, sent chunked (load, import); set its Content-Type in headers. */
  upload?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function compare(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

function queryString(query: RequestInit['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * An Engine API client over a Unix socket or TCP (+TLS). It negotiates the
 * API version with HEAD /_ping, like the Docker CLI: min(daemon's, ours).
 */
export class ApiClient {
  private negotiated: string | undefined;
  serverHeaders: Record<string, string | string[] | undefined> = {};

  constructor(readonly endpoint: Endpoint) {}

  get apiVersion(): string {
    return this.negotiated ?? CLIENT_API_VERSION;
  }

  /** http's request, or https's for TLS (loaded only then: TLS is costly to load). */
  private async sender(): Promise<typeof httpRequest> {
    if (!this.endpoint.tls) return httpRequest;
    this.rootCertificates ??= (await import('node:tls')).rootCertificates;
    return (await import('node:https')).request;
  }

  /** Node's CA roots, loaded with TLS (for the deferred NODE_EXTRA_CA_CERTS, see extra-ca.ts). */
  private rootCertificates: readonly string[] | undefined;

  private baseOptions(): RequestOptions {
    const e = this.endpoint;
    // Without TLS no server name is needed; an empty one spares Node's agent
    // from deriving it with isIP, whose first call compiles costly regexes.
    const noServerName = { servername: '' } as RequestOptions;
    if (e.socketPath !== undefined) return { ...noServerName, socketPath: e.socketPath };
    const options: RequestOptions & Record<string, unknown> = { host: e.host, port: e.port };
    if (!e.tls) Object.assign(options, noServerName);
    if (e.tls) {
      const read = (p: string | undefined) => (p ? readFileSync(p) : undefined);
      Object.assign(options, {
        ca: e.tls.caCert ? read(e.tls.caCert) : deferredCaSet(this.rootCertificates ?? []),
        cert: read(e.tls.cert),
        key: read(e.tls.key),
        rejectUnauthorized: e.tls.verify,
      });
    }
    return options;
  }

  /** Sends one request and returns the response without reading its body. */
  async raw(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const body = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    const headers: Record<string, string> = { 'User-Agent': 'Berth-Client/0.1.0 (linux)', ...init.headers };
    if (body) headers['Content-Type'] = 'application/json';
    const send = await this.sender();
    return new Promise((resolve, reject) => {
      const req = send(
        { ...this.baseOptions(), method, path: path + queryString(init.query), headers, signal: init.signal },
        resolve,
      );
      req.on('error', (err) => reject(init.signal?.aborted ? err : new ConnectionError(this.endpoint, err)));
      if (init.upload) sendUpload(init.upload, req, reject);
      else req.end(body);
    });
  }

  /**
   * A hijacked request (attach, exec start): sends `Connection: Upgrade`,
   * expects 101 and hands back the raw connection. A non-101 answer is an
   * ApiError with the daemon's message.
   */
  async hijack(path: string, query: RequestInit['query'], body?: unknown): Promise<Duplex> {
    await this.negotiate();
    const send = await this.sender();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = send({
        ...this.baseOptions(),
        method: 'POST',
        path: `/v${this.apiVersion}${path}${queryString(query)}`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          'User-Agent': 'Berth-Client/0.1.0 (linux)',
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }
            : {}),
        },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        void readText(res).then((text) => reject(new ApiError(res.statusCode ?? 500, parseMessage(text))));
      });
      req.on('error', (err) => reject(new ConnectionError(this.endpoint, err)));
      req.end(payload);
    });
  }

  /** A hijacked request with a JSON body (exec start). */
  hijackWithBody(path: string, body: unknown): Promise<Duplex> {
    return this.hijack(path, undefined, body);
  }

  async negotiate(): Promise<void> {
    if (this.negotiated) return;
    const res = await this.raw('HEAD', '/_ping');
    res.resume();
    this.serverHeaders = res.headers;
    const server = res.headers['api-version'];
    const version = typeof server === 'string' && server ? server : '1.24';
    this.negotiated = compare(version, CLIENT_API_VERSION) < 0 ? version : CLIENT_API_VERSION;
  }

  /** Refuses a feature the negotiated API version lacks, in docker's words. */
  async requireVersion(minimum: string, feature: string): Promise<void> {
    await this.negotiate();
    if (compare(this.apiVersion, minimum) < 0) {
      throw new Error(
        `"${feature}" requires API version ${minimum}, but the Berth daemon API version is ${this.apiVersion}`,
      );
    }
  }

  /** A versioned request; a non-2xx answer becomes an ApiError with the daemon's message. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    await this.negotiate();
    const res = await this.raw(method, `/v${this.apiVersion}${path}`, init);
    if (res.statusCode !== undefined && res.statusCode >= 400) throw await toApiError(res);
    return res;
  }

  async json<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const text = await this.text(method, path, init);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The response body as text, for callers that keep the daemon's exact JSON (inspect). */
  async text(method: string, path: string, init: RequestInit = {}): Promise<string> {
    return readText(await this.request(method, path, init));
  }
}

/**
 * Streams an upload into a request. A daemon may answer (an error, say)
 * before it has read everything; then the rest is dropped. A failing source
 * (a file that cannot be read) fails the request.
 */
function sendUpload(upload: Readable, req: ClientRequest, reject: (err: unknown) => void): void {
  upload.on('error', (err) => {
    req.destroy(err);
    reject(err);
  });
  req.once('response', (res: IncomingMessage) => {
    if ((res.statusCode ?? 500) < 400) return;
    upload.unpipe(req);
    upload.destroy();
    res.once('end', () => req.destroy());
  });
  upload.pipe(req);
}

/** Reads a whole response body as UTF-8 text. */
function parseMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text.trim();
  } catch {
    return text.trim();
  }
}

export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function toApiError(res: IncomingMessage): Promise<ApiError> {
  const text = await readText(res);
  let message = text.trim();
  if (res.headers['content-type'] === 'application/json') {
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // keep the raw text
    }
  }
  return new ApiError(res.statusCode ?? 500, message || `error ${res.statusCode}`);
}

/** A name in a URL path as Go's url.URL escapes it: `/`, `:` and `@` stay (image references keep them). */
export function escapePath(name: string): string {
  return encodeURI(name).replace(/[?#]/g, (c) => encodeURIComponent(c));
}
