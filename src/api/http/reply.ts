import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The response side of a handler: status, headers, then one send (or a hijack). */
export class Reply {
  private status = 200;
  private readonly pending: OutgoingHttpHeaders = {};
  private done = false;

  constructor(
    readonly raw: ServerResponse,
    readonly request: IncomingMessage,
  ) {}

  get sent(): boolean {
    return this.done || this.raw.headersSent;
  }

  get statusCode(): number {
    return this.status;
  }

  code(status: number): this {
    this.status = status;
    return this;
  }

  header(name: string, value: string | number | string[]): this {
    this.pending[name.toLowerCase()] = value;
    return this;
  }

  headers(values: Record<string, string | number | string[]>): this {
    for (const [k, v] of Object.entries(values)) this.header(k, v);
    return this;
  }

  type(contentType: string): this {
    return this.header('content-type', contentType);
  }

  /** The handler writes to `raw` itself from now on (streams, hijacked connections). */
  hijack(): this {
    this.done = true;
    return this;
  }

  /** Headers set so far, for a handler that writes the head itself after hijack(). */
  pendingHeaders(): OutgoingHttpHeaders {
    return { ...this.pending };
  }

  /** Sends a body: nothing, a string or Buffer as is, a stream piped, anything else as JSON. */
  send(payload?: unknown): this {
    if (this.sent) return this;
    this.done = true;
    const res = this.raw;
    if (payload instanceof Readable) {
      res.writeHead(this.status, this.pending);
      pipeline(payload, res).catch(() => res.destroy());
      return this;
    }
    let body: Buffer | string | undefined;
    if (payload === undefined || payload === null) body = undefined;
    else if (typeof payload === 'string' || Buffer.isBuffer(payload)) body = payload;
    else {
      body = `${JSON.stringify(payload)}\n`;
      this.pending['content-type'] ??= 'application/json';
    }
    if (body !== undefined && typeof body === 'string')
      this.pending['content-type'] ??= 'text/plain; charset=utf-8';
    if (this.pending['content-length'] === undefined) {
      this.pending['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
    }
    res.writeHead(this.status, this.pending);
    res.end(this.request.method === 'HEAD' ? undefined : body);
    return this;
  }
}
