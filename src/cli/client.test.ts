import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from './client.js';
import { closeSpares } from './unix-http.js';

/** A daemon on a temp socket speaking API `version`, refusing newer versions as dockerd does. */
async function versionedDaemon(
  version: string,
): Promise<{ path: string; seen: string[]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-client-'));
  const path = join(dir, 'd.sock');
  const seen: string[] = [];
  const server: Server = createServer((socket) => {
    socket.on('data', (d) => {
      const [method, url = ''] = d.toString('latin1').split(' ');
      seen.push(`${method} ${url}`);
      const asked = /^\/v([\d.]+)\//.exec(url)?.[1];
      if (url === '/_ping') {
        socket.end(`HTTP/1.1 200 OK\r\nApi-Version: ${version}\r\nContent-Length: 0\r\n\r\n`);
      } else if (asked && Number(asked.split('.')[1]) > Number(version.split('.')[1])) {
        const body = JSON.stringify({
          message: `client version ${asked} is too new. Maximum supported API version is ${version}`,
        });
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      } else {
        const body = JSON.stringify({ path: url });
        socket.end(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    seen,
    close: async () => {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('ApiClient with the ping sent ahead', () => {
  let older: Awaited<ReturnType<typeof versionedDaemon>>;
  let current: Awaited<ReturnType<typeof versionedDaemon>>;
  before(async () => {
    older = await versionedDaemon('1.41');
    current = await versionedDaemon('1.45');
  });
  after(async () => {
    // pingAhead connects ahead for the requests to come: the daemons' side of those stays open until they close.
    closeSpares();
    await older.close();
    await current.close();
  });

  it('sends the first request without waiting, under its own version, to a daemon as new', async () => {
    const client = new ApiClient({ address: `unix://${current.path}`, socketPath: current.path });
    client.pingAhead();
    assert.deepEqual(await client.json('GET', '/containers/json'), { path: '/v1.45/containers/json' });
    assert.equal(client.apiVersion, '1.45');
  });

  it('sends it again under the negotiated version when an older daemon refuses ours', async () => {
    const client = new ApiClient({ address: `unix://${older.path}`, socketPath: older.path });
    client.pingAhead();
    assert.deepEqual(await client.json('POST', '/containers/create', { body: { Image: 'busybox' } }), {
      path: '/v1.41/containers/create',
    });
    assert.equal(client.apiVersion, '1.41');
    assert.deepEqual(
      older.seen.filter((r) => r.includes('/containers/')),
      ['POST /v1.45/containers/create', 'POST /v1.41/containers/create'],
    );
    // Later requests go straight to the negotiated version.
    assert.deepEqual(await client.json('GET', '/info'), { path: '/v1.41/info' });
  });
});
