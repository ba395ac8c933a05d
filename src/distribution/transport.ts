/**
 * One HTTP exchange with a registry endpoint over node:http / node:https,
 * with the endpoint's TLS settings (certs.d CA and client certificate, or
 * no verification for an insecure registry). Keep-alive agents are shared
 * per endpoint, so the many requests of a pull reuse their connections.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Endpoint } from './endpoints.js';

/** A request to send; a body is a Buffer or a factory for a fresh stream (so it can be retried). */
export interface TransportRequest {
  method: string;
  /** Absolute URL, or a path resolved against the endpoint. */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
}

const agents = new WeakMap<Endpoint, http.Agent>();

function agentFor(endpoint: Endpoint, url: URL): http.Agent | undefined {
  // Redirects (blob storage elsewhere) get the default agents, as Go's client does.
  if (url.host !== endpoint.url.host || url.protocol !== endpoint.url.protocol) return undefined;
  let agent = agents.get(endpoint);
  if (!agent) {
    agent =
      endpoint.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ...endpoint.tls })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(endpoint, agent);
  }
  return agent;
}

/** Sends one request and resolves with the response headers (the body is left to the caller). */
export function send(endpoint: Endpoint, request: TransportRequest): Promise<IncomingMessage> {
  const url = new URL(request.url, endpoint.url);
  const secure = url.protocol === 'https:';
  const agent = agentFor(endpoint, url);
  const options: https.RequestOptions = {
    method: request.method,
    headers: { 'User-Agent': USER_AGENT, ...request.headers },
    ...(agent ? { agent } : {}),
    ...(secure && !agent ? endpoint.tls : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, options, resolve);
    req.on('error', reject);
    // A registry that accepts the connection but never answers must not hang a pull.
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout talking to ${url.host}`)));
    const body = request.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      const stream = body();
      stream.on('error', (err) => req.destroy(err));
      // A failed request must not leave the source (an open blob file) behind.
      req.on('error', () => stream.destroy());
      stream.pipe(req);
    }
  });
}

/** Reads a (small) response body whole. */
export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new Error(`response from ${res.url ?? 'registry'} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Drains and drops a body we do not need, so the connection can be reused. */
export function discard(res: IncomingMessage): void {
  res.resume();
}

export const USER_AGENT = 'berth/0.1 (linux) distribution';
