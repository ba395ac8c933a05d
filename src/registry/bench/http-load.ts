import { Agent, request } from 'node:http';
import type { Readable } from 'node:stream';

/** One HTTP exchange's outcome. */
export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
}

/** Sends a request (body from a stream or a buffer) and drains the answer. */
export function exchange(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: Readable | Buffer;
    agent?: Agent;
  },
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.byteLength;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** Requests per second and latency percentiles of a closed-loop load. */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/**
 * Keeps `connections` keep-alive connections busy with GETs of `url` for
 * `durationMs` (each connection sends its next request when the last answer ends).
 */
export async function loadGet(
  url: string,
  headers: Record<string, string>,
  connections: number,
  durationMs: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const got = await exchange(url, { headers, agent }).catch(() => undefined);
      if (got?.status !== 200) errors++;
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    perSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
  };
}
