import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acceptHijack, FrameDecoder, frame, STDERR, STDOUT } from '../streams.js';
import { HttpApp } from './app.js';

describe('hijacked connections', () => {
  it('an Upgrade request reaches the upgrade route, gets 101 UPGRADED and a raw duplex', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-upgrade-'));
    const app = new HttpApp();
    app.upgrade('POST', '/containers/:id/attach', (req, socket) => {
      acceptHijack(socket, { multiplexed: true });
      socket.write(frame(STDOUT, Buffer.from(`hello ${req.params.id}\n`)));
      socket.on('data', (d: Buffer) => socket.end(frame(STDERR, d)));
    });
    const server = createServer(app.handler).on('upgrade', app.upgradeHandler);
    const path = join(dir, 's.sock');
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const reply = await new Promise<Buffer>((resolve) => {
        const sock = connect(path);
        const chunks: Buffer[] = [];
        sock.on('data', (d) => {
          chunks.push(d);
          if (chunks.length === 1) sock.write('ping');
        });
        sock.on('close', () => resolve(Buffer.concat(chunks)));
        sock.write(
          'POST /containers/abc/attach?stream=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
        );
      });
      const text = reply.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 101 UPGRADED\r\n/);
      assert.match(text, /Content-Type: application\/vnd\.docker\.multiplexed-stream\r\n/);
      const body = reply.subarray(text.indexOf('\r\n\r\n') + 4);
      const frames = new FrameDecoder().push(body);
      assert.deepEqual(
        frames.map((f) => [f.stream, f.payload.toString()]),
        [
          [STDOUT, 'hello abc\n'],
          [STDERR, 'ping'],
        ],
      );
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the frame decoder keeps partial frames across chunks', () => {
    const all = Buffer.concat([frame(STDOUT, Buffer.from('abc')), frame(STDERR, Buffer.from('defgh'))]);
    const d = new FrameDecoder();
    assert.deepEqual(d.push(all.subarray(0, 5)), []);
    const out = [...d.push(all.subarray(5, 14)), ...d.push(all.subarray(14))];
    assert.deepEqual(
      out.map((f) => f.payload.toString()),
      ['abc', 'defgh'],
    );
  });
});
