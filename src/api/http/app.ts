import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type Duplex, PassThrough, type Readable } from 'node:stream';
import { Reply } from './reply.js';
import { Router } from './router.js';

/**
 * A small HTTP application for the Engine API: a router, onRequest hooks,
 * JSON bodies, one error handler. It replaces a framework because the
 * daemon's idle memory matters more than features it would not use (a
 * general-purpose framework cost about 20 MB of resident memory at import).
 */
export interface Request {
  raw: IncomingMessage;
  method: string;
  /** The URL after rewriting (version prefix removed), with its query string. */
  url: string;
  path: string;
  query: Record<string, string | string[]>;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for JSON requests; undefined otherwise (read `raw` for streams). */
  body: unknown;
  /** Aborts when the client goes away before the response is done. */
  signal: AbortSignal;
}

export type Handler = (req: Request, reply: Reply) => unknown;
/** Takes over a connection that asked for `Connection: Upgrade` (attach, exec start). */
export type UpgradeHandler = (req: Request, socket: Duplex, head: Buffer) => void | Promise<void>;
export type Hook = (req: Request, reply: Reply) => void | Promise<void>;
export type ErrorHandler = (err: unknown, req: Request, reply: Reply) => void;

const JSON_LIMIT = 64 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function parseQuery(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

async function readJson(raw: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > JSON_LIMIT) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `invalid JSON: ${(err as Error).message}`);
  }
}

/** How long the unread rest of a refused upload may take to arrive before the answer goes anyway. */
const UNREAD_BODY_GRACE_MS = 5_000;

/**
 * A streamed upload (load, import, build context) that a handler answers
 * before reading all of it — a refusal, say — still has the client writing.
 * Closing the connection right after the answer makes that write fail with
 * EPIPE, and the client (Go's net/http among them) reports "broken pipe"
 * instead of the answer. So the end of such a response waits until the rest
 * of the body has been read and thrown away (bounded in time); the
 * connection then closes, since a body half-read by a handler may still
 * have a reader attached and could not carry a next request.
 */
function endAfterBody(raw: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    if (raw.complete || raw.destroyed) return end(...args);
    raw.unpipe();
    raw.removeAllListeners('data');
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      end(...args);
    };
    timer = setTimeout(finish, UNREAD_BODY_GRACE_MS);
    raw.on('data', () => {});
    raw.once('end', finish);
    raw.once('close', finish);
    raw.once('error', finish);
    raw.resume();
    return res;
  }) as typeof res.end;
}

/**
 * The body of a streamed upload (an archive, a build context) as a stream the
 * handler may abandon or destroy on a bad input without taking the connection
 * with it: the answer must still reach the client (see endAfterBody), which
 * a destroyed request would cut off with a reset.
 */
export function uploadBody(req: Request): Readable {
  const given = req.body as { pipe?: unknown } | undefined;
  if (given && typeof given.pipe === 'function') return given as unknown as Readable;
  const raw = req.raw;
  const body = new PassThrough();
  raw.pipe(body);
  raw.once('close', () => {
    if (!raw.complete)
      body.destroy(new Error('the client closed the connection before its upload was complete'));
  });
  return body;
}

export class HttpApp {
  private readonly router = new Router<Handler>();
  private readonly upgrades = new Router<UpgradeHandler>();
  private readonly hooks: Hook[] = [];
  private onError: ErrorHandler = (_err, _req, reply) => reply.code(500).send();
  private notFound: Handler = (_req, reply) => reply.code(404).send();
  private upgradeErrorStatus = (err: unknown): number =>
    typeof (err as { statusCode?: unknown }).statusCode === 'number'
      ? (err as { statusCode: number }).statusCode
      : 500;

  constructor(private readonly rewriteUrl: (raw: IncomingMessage) => string = (raw) => raw.url ?? '/') {}

  get(path: string, h: Handler): void {
    this.router.add('GET', path, h);
  }
  head(path: string, h: Handler): void {
    this.router.add('HEAD', path, h);
  }
  post(path: string, h: Handler): void {
    this.router.add('POST', path, h);
  }
  put(path: string, h: Handler): void {
    this.router.add('PUT', path, h);
  }
  delete(path: string, h: Handler): void {
    this.router.add('DELETE', path, h);
  }
  /**
   * Registers a handler for requests that carry `Connection: Upgrade`. Node
   * hands those to the server's 'upgrade' event, not to the request handler;
   * the same request without the upgrade header goes to the ordinary route.
   */
  upgrade(method: string, path: string, h: UpgradeHandler): void {
    this.upgrades.add(method, path, h);
  }
  addHook(hook: Hook): void {
    this.hooks.push(hook);
  }
  setErrorHandler(handler: ErrorHandler): void {
    this.onError = handler;
  }
  /** How an upgrade handler's error becomes a status code (before the connection was taken over). */
  setUpgradeErrorStatus(statusOf: (err: unknown) => number): void {
    this.upgradeErrorStatus = statusOf;
  }
  setNotFoundHandler(handler: Handler): void {
    this.notFound = handler;
  }

  /** The listener to attach to every http/https server the daemon opens. */
  readonly handler: RequestListener = (raw: IncomingMessage, res: ServerResponse) => {
    const hasBody =
      raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
    if (hasBody && !String(raw.headers['content-type'] ?? '').includes('json')) endAfterBody(raw, res);
    void this.dispatch(raw, res);
  };

  /** The listener for every server's 'upgrade' event. */
  readonly upgradeHandler = (raw: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.dispatchUpgrade(raw, socket, head);
  };

  private async dispatchUpgrade(raw: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = this.rewriteUrl(raw);
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const match = this.upgrades.find(raw.method ?? 'GET', path);
    if (!match) {
      // No upgrade route: answer like the plain route would not exist.
      socket.end(
        'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"page not found"}\n',
      );
      return;
    }
    const controller = new AbortController();
    socket.on('close', () => controller.abort());
    const req: Request = {
      raw,
      method: raw.method ?? 'GET',
      url,
      path,
      query: parseQuery(q < 0 ? '' : url.slice(q + 1)),
      params: match.params,
      headers: raw.headers,
      body: undefined,
      signal: controller.signal,
    };
    try {
      await match.handler(req, socket, head);
    } catch (err) {
      const message = JSON.stringify({ message: err instanceof Error ? err.message : String(err) });
      const status = this.upgradeErrorStatus(err);
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${message}\n`,
        );
    }
  }

  private async dispatch(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = this.rewriteUrl(raw);
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const req: Request = {
      raw,
      method: raw.method ?? 'GET',
      url,
      path,
      query: parseQuery(q < 0 ? '' : url.slice(q + 1)),
      params: {},
      headers: raw.headers,
      body: undefined,
      signal: controller.signal,
    };
    const reply = new Reply(res, raw);
    try {
      for (const hook of this.hooks) {
        await hook(req, reply);
        if (reply.sent) return;
      }
      const match = this.router.find(req.method, path);
      if (!match) {
        await this.notFound(req, reply);
        return;
      }
      req.params = match.params;
      if (String(raw.headers['content-type'] ?? '').includes('json')) req.body = await readJson(raw);
      const result = await match.handler(req, reply);
      if (!reply.sent && result !== undefined && result !== reply) reply.send(result);
    } catch (err) {
      if (!reply.sent) this.onError(err, req, reply);
      else res.destroy();
    }
  }
}
