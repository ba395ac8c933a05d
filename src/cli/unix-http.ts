/**
 * A lean HTTP/1.1 client for the daemon's Unix socket: one connection per
 * request, a JSON or empty body, the answer's body streamed as it comes
 * (Content-Length, chunked or up to the close), and upgrades (attach, exec)
 * handing back the raw connection. node:http does the same with far more
 * machinery: loading it and going through its agent, request and parser
 * was about half of what `berth run` spent outside the daemon. Uploads and
 * TCP/TLS stay on node:http (client.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';

export interface UnixRequest {
  method: string;
  /** The path with its query string. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
  /** Called with the connection as soon as it is made. */
  onSocket?: (socket: Socket) => void;
}

/** An answer as node:http's IncomingMessage shows it: status, lower-case headers, the body as a stream. */
export class UnixResponse extends Readable {
  statusCode = 0;
  statusMessage = '';
  headers: IncomingHttpHeaders = {};

  constructor(private readonly socket: Socket) {
    super();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}

/** A 101 answer: its head and the connection, now a raw stream. */
export interface Upgraded {
  response: UnixResponse;
  socket: Socket;
}

/** A connection made ahead of the request that will use it. */
interface Spare {
  socket: Socket;
  /** When it was made (performance.now()): only a fresh one is used. */
  madeAt: number;
  /** Our listeners while it waits, removed when a request takes it. */
  onError: () => void;
}

/**
 * How long a connection made ahead is used (ms): the requests it is for
 * follow within milliseconds. An older one may be about to be closed by a
 * daemon that times out idle connections; a later request (a resize, a
 * signal passed on) connects itself.
 */
const SPARE_LIFETIME_MS = 1000;

/**
 * Connections made ahead, by socket path. A request on a new connection
 * goes out only once the connection is made, a turn of the event loop
 * later (after whatever else that turn runs); one made ahead is ready when
 * the request is. They keep the process alive only once taken.
 */
const spares = new Map<string, Spare[]>();

/** Opens `count` connections to socketPath for the requests to come (see takeConnection). */
export function connectAhead(socketPath: string, count = 1): void {
  const list = spares.get(socketPath) ?? [];
  spares.set(socketPath, list);
  for (let i = 0; i < count; i++) {
    const socket = connect(socketPath);
    socket.unref();
    const spare: Spare = {
      socket,
      madeAt: performance.now(),
      // A spare that fails or is closed is dropped; the request that would have used it connects itself.
      onError: () => {
        const at = list.indexOf(spare);
        if (at >= 0) list.splice(at, 1);
      },
    };
    socket.once('error', spare.onError);
    socket.once('close', spare.onError);
    list.push(spare);
  }
}

/**
 * A fresh connection made ahead to socketPath, replaced by a new one (the
 * requests it was made for come in bursts); else a new connection.
 */
function takeConnection(socketPath: string): Socket {
  const list = spares.get(socketPath) ?? [];
  for (let spare = list.shift(); spare !== undefined; spare = list.shift()) {
    const { socket } = spare;
    socket.off('error', spare.onError);
    socket.off('close', spare.onError);
    const usable = socket.readyState === 'open' || socket.readyState === 'opening';
    if (!usable || performance.now() - spare.madeAt > SPARE_LIFETIME_MS) {
      socket.destroy();
      continue;
    }
    socket.ref();
    connectAhead(socketPath);
    return socket;
  }
  return connect(socketPath);
}

/** Closes the connections made ahead (the snapshot's warm-up may leave none open). */
export function closeSpares(): void {
  for (const list of spares.values()) for (const spare of list.splice(0)) spare.socket.destroy();
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** Longest head or chunk-size line accepted: a daemon's answer head is a few hundred bytes. */
const MAX_HEAD = 64 * 1024;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

function requestHead(r: UnixRequest, upgrade: boolean): string {
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: localhost\r\n`;
  for (const [name, value] of Object.entries(r.headers)) head += `${name}: ${value}\r\n`;
  if (upgrade) head += 'Connection: Upgrade\r\nUpgrade: tcp\r\n';
  if (r.body) head += `Content-Length: ${r.body.length}\r\n`;
  else if (r.method !== 'GET' && r.method !== 'HEAD') head += 'Content-Length: 0\r\n';
  return `${head}\r\n`;
}

/** Parses an answer's head: status line and headers (repeated ones joined with ", ", as node:http does). */
function parseHead(text: string, res: UnixResponse): void {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!status) throw new Error(`malformed HTTP answer: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  res.statusCode = Number(status[1]);
  res.statusMessage = status[2] ?? '';
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed HTTP header: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = res.headers[name];
    if (name === 'set-cookie') res.headers[name] = [...((previous as string[] | undefined) ?? []), value];
    else res.headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
}

/** Takes a body off the wire: by length, chunked, or up to the close; returns whether it is complete. */
type BodyReader = (data: Buffer) => boolean;

function lengthReader(length: number, push: (b: Buffer) => void): BodyReader {
  let left = length;
  return (data) => {
    const part = data.length > left ? data.subarray(0, left) : data;
    left -= part.length;
    if (part.length) push(part);
    return left === 0;
  };
}

function chunkedReader(push: (b: Buffer) => void): BodyReader {
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes of chunk data still to come, then its CRLF. */
  let dataLeft = 0;
  let state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  return (data) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    for (;;) {
      if (state === 'data') {
        const part = pending.subarray(0, dataLeft);
        if (part.length) push(part);
        dataLeft -= part.length;
        pending = pending.subarray(part.length);
        if (dataLeft > 0) return false;
        state = 'data-end';
      }
      const eol = pending.indexOf(CRLF);
      if (eol < 0) {
        if (pending.length > MAX_HEAD) throw new Error('malformed chunked body: line too long');
        return false;
      }
      const line = pending.subarray(0, eol).toString('latin1');
      pending = pending.subarray(eol + 2);
      if (state === 'data-end') {
        if (line !== '') throw new Error('malformed chunked body: no CRLF after a chunk');
        state = 'size';
      } else if (state === 'size') {
        const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0)
          throw new Error('malformed chunked body: bad chunk size');
        if (size === 0) state = 'trailer';
        else {
          dataLeft = size;
          state = 'data';
        }
      } else if (line === '') {
        return true;
      }
    }
  };
}

/**
 * Sends one request over a new connection to socketPath. Resolves with the
 * answer once its head is in (its body then streams). Fails before the head
 * with the connection's error, or the signal's AbortError.
 */
export function unixRequest(socketPath: string, r: UnixRequest): Promise<UnixResponse> {
  return exchange(socketPath, r, false) as Promise<UnixResponse>;
}

/** Sends a request with Connection: Upgrade: a 101 answer resolves with the connection, any other as unixRequest. */
export function unixUpgrade(socketPath: string, r: UnixRequest): Promise<UnixResponse | Upgraded> {
  return exchange(socketPath, r, true);
}

function exchange(socketPath: string, r: UnixRequest, upgrade: boolean): Promise<UnixResponse | Upgraded> {
  return new Promise((resolve, reject) => {
    if (r.signal?.aborted) {
      reject(abortError(r.signal));
      return;
    }
    const socket = takeConnection(socketPath);
    r.onSocket?.(socket);
    const res = new UnixResponse(socket);
    let head: Buffer | undefined = Buffer.alloc(0);
    let body: BodyReader | undefined;
    let untilClose = false;
    let finished = false;

    const fail = (err: Error) => {
      if (finished) return;
      finished = true;
      cleanup();
      socket.destroy();
      if (head !== undefined) reject(err);
      // Like node:http's, a cut-off body is an error for those that listen for one.
      else res.destroy(res.listenerCount('error') > 0 ? err : undefined);
    };
    const done = () => {
      if (finished) return;
      finished = true;
      cleanup();
      res.push(null);
      socket.destroy();
    };
    const push = (b: Buffer) => {
      if (!res.push(b)) socket.pause();
    };
    const onAbort = () => fail(abortError(r.signal!));
    const cleanup = () => {
      r.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
    };
    const onData = (data: Buffer) => {
      try {
        if (head !== undefined) {
          head = head.length ? Buffer.concat([head, data]) : data;
          const end = head.indexOf(HEAD_END);
          if (end < 0) {
            if (head.length > MAX_HEAD) throw new Error('malformed HTTP answer: head too long');
            return;
          }
          parseHead(head.subarray(0, end).toString('latin1'), res);
          const rest = head.subarray(end + 4);
          head = undefined;
          if (upgrade && res.statusCode === 101) {
            finished = true;
            cleanup();
            socket.off('end', onEnd);
            socket.off('close', onClose);
            socket.off('error', onError);
            // Nothing reads until the caller listens: then the stream flows again.
            socket.pause();
            (socket as { readableFlowing: boolean | null }).readableFlowing = null;
            if (rest.length) socket.unshift(rest);
            res.push(null);
            resolve({ response: res, socket });
            return;
          }
          resolve(res);
          const length = res.headers['content-length'];
          if (r.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return done();
          if (/\bchunked\b/i.test(String(res.headers['transfer-encoding'] ?? ''))) body = chunkedReader(push);
          else if (length !== undefined) body = lengthReader(Number(length), push);
          else untilClose = true;
          if (!untilClose && body!(Buffer.alloc(0))) return done();
          data = rest;
        }
        if (untilClose) push(data);
        else if (body?.(data)) done();
      } catch (err) {
        fail(err as Error);
      }
    };
    const onEnd = () => {
      if (untilClose && head === undefined) done();
      else
        fail(
          Object.assign(new Error(head === undefined ? 'aborted' : 'socket hang up'), { code: 'ECONNRESET' }),
        );
    };
    const onClose = () => onEnd();
    const onError = (err: Error) => fail(err);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
    r.signal?.addEventListener('abort', onAbort, { once: true });
    socket.cork();
    socket.write(requestHead(r, upgrade));
    if (r.body) socket.write(r.body);
    socket.uncork();
  });
}
