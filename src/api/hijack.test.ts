import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { parseDetachKeys } from '../core/detach-keys.js';
import type { AttachSession } from '../runtime/runtime.js';
import { pumpSession } from './hijack.js';
import { FrameDecoder } from './streams.js';

/** A connected socket pair over a temporary unix socket: [server side, client side]. */
async function socketPair(): Promise<{ server: Socket; client: Socket; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-hijack-'));
  const path = join(dir, 's');
  const listener = createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => listener.listen(path, r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = createConnection(path);
  const server = await accepted;
  return {
    server,
    client,
    cleanup: async () => {
      client.destroy();
      server.destroy();
      await new Promise((r) => listener.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An attach session made of plain streams, standing in for conmon's. */
function session(): AttachSession & {
  stdout: PassThrough;
  stderr: PassThrough;
  input: Buffer[];
  closedByPump: () => boolean;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const input: Buffer[] = [];
  stdin.on('data', (d: Buffer) => input.push(d));
  let closed = false;
  let resolveClosed = () => {};
  const closedPromise = new Promise<void>((r) => {
    resolveClosed = r;
  });
  return {
    stdout,
    stderr,
    stdin,
    closed: closedPromise,
    close: () => {
      closed = true;
      stdout.end();
      stderr.end();
      resolveClosed();
    },
    input,
    closedByPump: () => closed,
  };
}

describe('pumpSession', () => {
  it('frames output without a TTY and ends the connection when the streams end', async () => {
    const { server, client, cleanup } = await socketPair();
    try {
      const s = session();
      const received: Buffer[] = [];
      client.on('data', (d: Buffer) => received.push(d));
      const clientEnded = new Promise((r) => client.once('end', r));
      const pumped = pumpSession(server, s, { tty: false, detachKeys: parseDetachKeys('ctrl-p,ctrl-q') });
      s.stdout.write('out');
      s.stderr.write('err');
      s.stdout.end();
      s.stderr.end();
      assert.equal(await pumped, 'ended');
      await clientEnded;
      const frames = new FrameDecoder().push(Buffer.concat(received));
      assert.deepEqual(
        frames.map((f) => [f.stream, f.payload.toString()]),
        [
          [1, 'out'],
          [2, 'err'],
        ],
      );
    } finally {
      await cleanup();
    }
  });

  it('the detach keys end the connection on the daemon side, without passing them on', async () => {
    const { server, client, cleanup } = await socketPair();
    try {
      const s = session();
      const clientEnded = new Promise((r) => client.once('end', r));
      const pumped = pumpSession(server, s, { tty: false, detachKeys: parseDetachKeys('ctrl-x') });
      client.write('abc\x18ignored');
      assert.equal(await pumped, 'detached');
      await clientEnded;
      assert.equal(Buffer.concat(s.input).toString(), 'abc');
      assert.equal(s.closedByPump(), true);
    } finally {
      await cleanup();
    }
  });
});
