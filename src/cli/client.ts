import { readFileSync } from 'node:fs';
import type {
  ClientRequest,
  request as HttpRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  RequestOptions,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { deferredCaSet } from './extra-ca.js';
import type { Endpoint } from './hosts.js';
import { connectAhead, UnixResponse, unixRequest, unixUpgrade } from './unix-http.js';

const USER_AGENT = 'Berth-Client/0.1.0 (linux)';

/**
 * A daemon's answer: node:http's IncomingMessage, or the lean client's
 * UnixResponse, which shows the same status, headers and body stream.
 */
export type ApiResponse = Readable & {
  readonly statusCode?: number | undefined;
  readonly headers: IncomingHttpHeaders;
};

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
  /** The version ping under way, shared by every request that waits for it. */
  private negotiating: Promise<void> | undefined;
  /** The ping's connection while nothing waits for it (see pingAhead), else undefined. */
  private unwaitedPing: { socket?: Socket; waited: boolean } | undefined;
  serverHeaders: Record<string, string | string[] | undefined> = {};

  constructor(readonly endpoint: Endpoint) {}

  get apiVersion(): string {
    return this.negotiated ?? CLIENT_API_VERSION;
  }

  /** http's request, or https's for TLS (loaded only then: TLS is costly to load). */
  private async sender(): Promise<typeof HttpRequest> {
    if (!this.endpoint.tls) return (await import('node:http')).request;
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
  raw(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse> {
    return this.send(method, path, init);
  }

  /**
   * Sends a request: over a Unix socket with the lean client (unix-http.ts),
   * at once, without a turn of the event loop (pingAhead counts on that);
   * uploads and TCP through node:http(s).
   */
  private async send(
    method: string,
    path: string,
    init: RequestInit,
    onSocket?: (socket: Socket) => void,
  ): Promise<ApiResponse> {
    const body = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...init.headers };
    if (body) headers['Content-Type'] = 'application/json';
    const socketPath = this.endpoint.socketPath;
    const connectionError = (err: unknown) =>
      init.signal?.aborted ? err : new ConnectionError(this.endpoint, err);
    if (socketPath !== undefined && !init.upload) {
      const request = { method, path: path + queryString(init.query), headers, signal: init.signal };
      const answer = unixRequest(socketPath, {
        ...request,
        ...(body ? { body } : {}),
        ...(onSocket ? { onSocket } : {}),
      });
      return await answer.catch((err: unknown) => Promise.reject(connectionError(err)));
    }
    const send = await this.sender();
    return new Promise((resolve, reject) => {
      const req = send(
        { ...this.baseOptions(), method, path: path + queryString(init.query), headers, signal: init.signal },
        resolve,
      );
      req.on('error', (err) => reject(connectionError(err)));
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
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const fullPath = `/v${this.apiVersion}${path}${queryString(query)}`;
    const socketPath = this.endpoint.socketPath;
    if (socketPath !== undefined) {
      const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
      if (payload) headers['Content-Type'] = 'application/json';
      const answer = await unixUpgrade(socketPath, {
        method: 'POST',
        path: fullPath,
        headers,
        ...(payload ? { body: payload } : {}),
      }).catch((err: unknown) => Promise.reject(new ConnectionError(this.endpoint, err)));
      if (!(answer instanceof UnixResponse)) return answer.socket;
      const text = await readText(answer);
      throw new ApiError(answer.statusCode || 500, parseMessage(text));
    }
    const send = await this.sender();
    return new Promise((resolve, reject) => {
      const req = send({
        ...this.baseOptions(),
        method: 'POST',
        path: fullPath,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          'User-Agent': USER_AGENT,
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
    const unwaited = this.unwaitedPing;
    if (unwaited) {
      // A request waits for the ping now: its connection keeps the process alive again.
      unwaited.waited = true;
      unwaited.socket?.ref();
      this.unwaitedPing = undefined;
    }
    this.negotiating ??= this.ping().catch((err: unknown) => {
      this.negotiating = undefined;
      throw err;
    });
    await this.negotiating;
  }

  /**
   * Starts the version ping before any request needs it (over a Unix
   * socket only), so that the daemon answers while the CLI parses its
   * arguments. Until a request waits for it, its connection does not keep
   * the process alive: a command that never talks to the daemon (a usage
   * error, --help) ends as soon as it is done. Failures surface, and the
   * ping is retried, when a request negotiates.
   */
  pingAhead(): void {
    if (this.negotiating || this.endpoint.socketPath === undefined) return;
    const unwaited: { socket?: Socket; waited: boolean } = { waited: false };
    this.unwaitedPing = unwaited;
    const onSocket = (socket: Socket) => {
      unwaited.socket = socket;
      if (!unwaited.waited) socket.unref();
    };
    this.negotiating = this.ping(onSocket).catch((err: unknown) => {
      this.negotiating = undefined;
      throw err;
    });
    this.negotiating.catch(() => undefined);
    // And connections for the requests that follow: two for run's create, then attach and wait.
    connectAhead(this.endpoint.socketPath, 2);
  }

  /** HEAD /_ping: the daemon's API version, min(daemon's, ours), as the Docker CLI negotiates. */
  private async ping(onSocket?: (socket: Socket) => void): Promise<void> {
    const res = await this.send('HEAD', '/_ping', {}, onSocket);
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
  async request(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse> {
    const res = await this.versioned(method, path, init);
    if (res.statusCode !== undefined && res.statusCode >= 400) throw await toApiError(res);
    return res;
  }

  /**
   * Sends a request under the negotiated version. While the ping sent
   * ahead is still under way, a request without an upload does not wait
   * for it: it goes out with this client's own version, which is what
   * negotiation gives with any daemon as new as ours. A daemon that turns
   * out older refuses that version (400, "client version … is too new")
   * before doing anything, and the request is sent again with its version.
   */
  private async versioned(method: string, path: string, init: RequestInit): Promise<ApiResponse> {
    if (this.negotiated || !this.unwaitedPing || init.upload) {
      await this.negotiate();
      return this.raw(method, `/v${this.apiVersion}${path}`, init);
    }
    const negotiated = this.negotiate();
    negotiated.catch(() => undefined);
    const res = await this.raw(method, `/v${CLIENT_API_VERSION}${path}`, init);
    // The answer stands unless the ping shows an older daemon, which refused the version.
    await negotiated.catch(() => undefined);
    if (this.apiVersion === CLIENT_API_VERSION || res.statusCode !== 400) return res;
    res.resume();
    return this.raw(method, `/v${this.apiVersion}${path}`, init);
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

export async function readText(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function toApiError(res: ApiResponse): Promise<ApiError> {
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
