import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../core/digest.js';
import { blobSource } from './blob-source.js';
import { RepositoryClient } from './repository.js';
import { createSessionShared, RegistrySession } from './session.js';
import { TokenCache } from './tokens.js';

describe('blob downloads', () => {
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  const digest = sha256Of(blob);
  const ranges: (string | undefined)[] = [];
  let server: http.Server;
  let base: string;
  let limited = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      ranges.push(req.headers.range);
      if (req.url !== `/v2/a/b/blobs/${digest}`) return void res.writeHead(404).end();
      if (req.headers['x-never'] === undefined && limited < 1) {
        limited++;
        res.writeHead(429, { 'Retry-After': '0' }).end();
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start > 0 ? 206 : 200, { 'Content-Length': String(blob.length - start) });
      if (start === 0) {
        // The first transfer breaks off after a third of the blob.
        res.write(blob.subarray(0, 1024 * 1024), () => res.destroy());
        return;
      }
      res.end(blob.subarray(start));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('waits out a 429 and resumes a broken transfer with a Range request', async () => {
    const endpoint = { url: new URL(base), registry: 'test', mirror: false, insecure: true };
    const session = new RegistrySession(endpoint, {}, [], createSessionShared(new TokenCache()));
    const repo = new RepositoryClient(session, 'a/b');
    const chunks: Buffer[] = [];
    for await (const chunk of blobSource(repo, { mediaType: 'x', digest, size: blob.length }, {}))
      chunks.push(chunk);
    const received = Buffer.concat(chunks);
    assert.equal(received.length, blob.length);
    assert.equal(sha256Of(received), digest);
    assert.equal(ranges[0], undefined);
    assert.ok(
      ranges.some((range) => range !== undefined && /^bytes=\d+-$/.test(range) && range !== 'bytes=0-'),
    );
  });
});
