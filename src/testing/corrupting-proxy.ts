import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy in front of a registry that flips bytes of one blob's body. */
export interface CorruptingProxy {
  url: string;
  /** How many responses were corrupted. */
  corrupted(): number;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target` (`http://127.0.0.1:PORT`) and, for a
 * GET of `/v2/…/blobs/<digest>`, inverts bytes in the middle of the body,
 * keeping its length: what a broken cache or a hostile network would do.
 * In `stall` mode it sends the first 64 KiB of that blob and then nothing,
 * so a pull stays in the middle of it.
 */
export async function startCorruptingProxy(
  target: string,
  digest: string,
  options: { mode?: 'corrupt' | 'stall' } = {},
): Promise<CorruptingProxy> {
  const upstream = new URL(target);
  let count = 0;
  const server = http.createServer((req, res) => {
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const corrupt =
          req.method === 'GET' && req.url?.endsWith(`/blobs/${digest}`) && up.statusCode === 200;
        if (!corrupt) return void up.pipe(res);
        count++;
        if (options.mode === 'stall') {
          up.once('data', (chunk: Buffer) => res.write(chunk.subarray(0, 64 * 1024)));
          up.pause();
          return;
        }
        let seen = 0;
        up.on('data', (chunk: Buffer) => {
          const copy = Buffer.from(chunk);
          for (let i = 0; i < copy.length; i++) if ((seen + i) % 4096 === 100) copy[i] = copy[i]! ^ 0xff;
          seen += chunk.length;
          res.write(copy);
        });
        up.on('end', () => res.end());
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    corrupted: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
