import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readText } from './client.js';
import { closeSpares, connectAhead, UnixResponse, unixRequest, unixUpgrade } from './unix-http.js';

/** A server on a temp Unix socket that answers each request with the raw bytes `answer` gives for its head. */
async function rawServer(answer: (head: string, socket: import('node:net').Socket) => void): Promise<{
  path: string;
  server: Server;
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-unix-http-'));
  const path = join(dir, 'd.sock');
  const server = createServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      const request = buf.slice(0, end + 4 + length);
      buf = buf.slice(end + 4 + length);
      answer(request, socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    server,
    close: async () => {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('unixRequest', () => {
  let requests: string[];
  let daemon: Awaited<ReturnType<typeof rawServer>>;

  before(async () => {
    requests = [];
    daemon = await rawServer((request, socket) => {
      requests.push(request);
      const path = request.split(' ')[1];
      if (path === '/json') {
        socket.write('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n');
        socket.write('X-Twice: a\r\nX-Twice: b\r\n\r\n{"Id":"c1"}');
      } else if (path === '/chunked') {
        // Split mid-size-line and mid-data, with a chunk extension and a trailer.
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel');
        setTimeout(() => socket.write('lo\r\n0'), 10);
        setTimeout(() => socket.write('a\r\n world, 17\r\n0\r\nX-Trailer: t\r\n\r\n'), 20);
      } else if (path === '/ping') {
        socket.write('HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Length: 0\r\n\r\n');
      } else if (path === '/nocontent') {
        socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      } else if (path === '/until-close') {
        socket.end('HTTP/1.1 200 OK\r\n\r\nall of it');
      } else if (path === '/cut') {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort');
      } else if (path === '/attach') {
        // The stream's first bytes come in the same packet as the 101.
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly');
        socket.on('data', (d) => socket.end(`echo:${d}`));
      } else if (path === '/attach-missing') {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 32\r\n\r\n{"message":"No such container"}\n');
      } else if (path === '/never') {
        // Never answers.
      } else {
        socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n');
      }
    });
  });
  after(() => daemon.close());

  it('sends the method, path, headers and a JSON body, and reads a Content-Length answer', async () => {
    const body = Buffer.from('{"Image":"busybox"}');
    const res = await unixRequest(daemon.path, {
      method: 'POST',
      path: '/json',
      headers: { 'User-Agent': 'test', 'Content-Type': 'application/json' },
      body,
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['x-twice'], 'a, b');
    assert.equal(await readText(res), '{"Id":"c1"}');
    assert.match(requests.at(-1)!, /^POST \/json HTTP\/1\.1\r\n/);
    assert.match(requests.at(-1)!, /\r\nUser-Agent: test\r\n/);
    assert.match(requests.at(-1)!, /\r\nContent-Length: 19\r\n\r\n\{"Image":"busybox"\}$/);
  });

  it('decodes a chunked body that arrives in pieces', async () => {
    const res = await unixRequest(daemon.path, { method: 'POST', path: '/chunked', headers: {} });
    assert.equal(await readText(res), 'hello world, 17');
  });

  it('ends bodiless answers: HEAD and 204', async () => {
    const ping = await unixRequest(daemon.path, { method: 'HEAD', path: '/ping', headers: {} });
    assert.equal(ping.headers['api-version'], '1.45');
    assert.equal(await readText(ping), '');
    const started = await unixRequest(daemon.path, { method: 'POST', path: '/nocontent', headers: {} });
    assert.equal(started.statusCode, 204);
    assert.equal(await readText(started), '');
    assert.match(requests.at(-1)!, /\r\nContent-Length: 0\r\n\r\n$/);
  });

  it('reads a body without length up to the close, and fails a body cut short', async () => {
    const whole = await unixRequest(daemon.path, { method: 'GET', path: '/until-close', headers: {} });
    assert.equal(await readText(whole), 'all of it');
    const cut = await unixRequest(daemon.path, { method: 'GET', path: '/cut', headers: {} });
    await assert.rejects(readText(cut), /aborted/);
  });

  it('hands back the connection on 101, with the bytes that came with the answer', async () => {
    const answer = await unixUpgrade(daemon.path, { method: 'POST', path: '/attach', headers: {} });
    assert.ok(!(answer instanceof UnixResponse));
    const { socket } = answer;
    socket.write('ping');
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    assert.equal(text, 'earlyecho:ping');
    assert.match(requests.at(-1)!, /\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/);
  });

  it('gives an upgrade the daemon refuses as a response', async () => {
    const answer = await unixUpgrade(daemon.path, { method: 'POST', path: '/attach-missing', headers: {} });
    assert.ok(answer instanceof UnixResponse);
    assert.equal(answer.statusCode, 404);
    assert.match(await readText(answer), /No such container/);
  });

  it('fails with the abort reason when its signal fires before the answer', async () => {
    const abort = new AbortController();
    const pending = unixRequest(daemon.path, {
      method: 'POST',
      path: '/never',
      headers: {},
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 20);
    await assert.rejects(pending, { name: 'AbortError' });
  });

  it('fails with the connection error when nothing listens', async () => {
    await assert.rejects(
      unixRequest(join(tmpdir(), `berth-no-daemon-${process.pid}.sock`), {
        method: 'HEAD',
        path: '/_ping',
        headers: {},
      }),
      { code: 'ENOENT' },
    );
  });
});

describe('connectAhead', () => {
  /** A daemon that numbers its connections and answers each request with the number of the one it came on. */
  async function numberingDaemon(onConnection: (socket: Socket, n: number) => void = () => undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'berth-unix-http-'));
    const path = join(dir, 'd.sock');
    let connections = 0;
    const open = new Set<Socket>();
    const server = createServer((socket) => {
      const n = ++connections;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', () =>
        socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${String(n).length}\r\n\r\n${n}`),
      );
      onConnection(socket, n);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const until = async (what: () => boolean) => {
      while (!what()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    return {
      path,
      connections: () => connections,
      until,
      close: async () => {
        closeSpares();
        for (const socket of open) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const get = async (path: string) =>
    readText(await unixRequest(path, { method: 'GET', path: '/n', headers: {} }));

  it('sends the next request over the connection made ahead, and makes another for the one after', async () => {
    const daemon = await numberingDaemon();
    try {
      connectAhead(daemon.path);
      await daemon.until(() => daemon.connections() === 1);
      assert.equal(await get(daemon.path), '1');
      await daemon.until(() => daemon.connections() === 2);
      assert.equal(await get(daemon.path), '2');
    } finally {
      await daemon.close();
    }
  });

  it('does not use one the daemon closed: the request connects itself', async () => {
    const daemon = await numberingDaemon((socket, n) => {
      if (n === 1) socket.destroy();
    });
    try {
      connectAhead(daemon.path);
      await daemon.until(() => daemon.connections() === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await get(daemon.path), '2');
    } finally {
      await daemon.close();
    }
  });

  it('does not use one made more than a second ago: a daemon may be about to close it', async () => {
    const daemon = await numberingDaemon();
    try {
      connectAhead(daemon.path);
      await daemon.until(() => daemon.connections() === 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await get(daemon.path), '2');
    } finally {
      await daemon.close();
    }
  });

  it('leaves nothing behind when nothing listens', async () => {
    const path = join(tmpdir(), `berth-nothing-${process.pid}.sock`);
    connectAhead(path);
    await assert.rejects(get(path), { code: 'ENOENT' });
  });
});
