import { type Agent, request } from 'node:http';

/**
 * One Engine API request over a Unix socket; the body as text and the time it took in ms.
 * `agent` reuses connections (keep-alive clients); `timeoutMs` fails a request left unanswered.
 */
export function apiRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  options: { agent?: Agent; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        ...(options.agent ? { agent: options.agent } : {}),
        path,
        method,
        headers: payload === undefined ? {} : { 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            ms: Number(process.hrtime.bigint() - start) / 1e6,
          }),
        );
      },
    );
    if (options.timeoutMs !== undefined) {
      const limit = options.timeoutMs;
      req.setTimeout(limit, () => req.destroy(new Error(`no answer within ${limit / 1000} s`)));
    }
    req.on('error', reject);
    req.end(payload);
  });
}

/** The socket path of a `unix://` host. */
export function socketOf(host: string): string {
  return host.replace(/^unix:\/\//, '');
}
