import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HttpApp } from './app.js';

/** An app whose upload route refuses before reading a byte of the body, as import does for a bad --change. */
async function refusingServer() {
  const dir = await mkdtemp(join(tmpdir(), 'berth-refused-'));
  const app = new HttpApp();
  app.post('/images/create', (_req, reply) =>
    reply.code(400).send({ message: 'foo is not a valid change command' }),
  );
  const server = createServer(app.handler);
  const path = join(dir, 's.sock');
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('an upload refused before its body was read', () => {
  it('lets the client finish writing, then answers it and closes the connection', async () => {
    const server = await refusingServer();
    try {
      const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
      const received = await new Promise<string>((resolve, reject) => {
        const sock = connect(server.path);
        const chunks: Buffer[] = [];
        sock.on('data', (d: Buffer) => chunks.push(d));
        sock.on('error', reject);
        sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
        sock.write(
          `POST /images/create?fromSrc=- HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        // Several writes, each after the answer may already be out: none may fail with EPIPE.
        let offset = 0;
        const writeMore = () => {
          if (offset >= body.length) return;
          const piece = body.subarray(offset, offset + 256 * 1024);
          offset += piece.length;
          sock.write(piece, () => setTimeout(writeMore, 5));
        };
        writeMore();
      });
      assert.match(received, /^HTTP\/1\.1 400 /);
      assert.match(received, /foo is not a valid change command/);
      assert.match(received, /\r\nConnection: close\r\n/i);
    } finally {
      await server.close();
    }
  });
});
