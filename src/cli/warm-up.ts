/**
 * A `berth run` and a `berth version` against a stand-in daemon, for the
 * start-up snapshot (scripts/bundle-cli.mjs). V8 keeps in the snapshot the code of the
 * functions that ran while it was built; others compile on every start.
 * Running the run path once at build time compiles it (commander's parse,
 * the client, node:net's connect, read, write and close, the stream
 * machinery), which was most of what a cold `berth run` spent in
 * JavaScript; `version` is run too (what it prints dropped, see
 * silenceOutput). The stand-in listens on a real Unix socket, in a process of
 * its own: a listening server would load node:cluster and
 * node:child_process into the snapshot, which only makes it bigger (and
 * Node does not vouch for those modules in a snapshot). Nothing here
 * touches the process's standard streams or signals: those must not be in
 * a snapshot.
 */
import { createServer, type Socket } from 'node:net';
import { silenceOutput } from './context.js';
import { closeSpares } from './unix-http.js';

const CONTAINER_ID = '0'.repeat(64);
const HEADERS = 'Api-Version: 1.45\r\nContent-Type: application/json\r\n';
/** GET /version's answer, shaped as berthd's: the engine and a runtime. */
const STAND_IN_VERSION = {
  Platform: { Name: 'Berth Engine' },
  Components: [
    {
      Name: 'Engine',
      Version: '0.0.0',
      Details: {
        ApiVersion: '1.45',
        Arch: 'amd64',
        BuildTime: '2026-01-01T00:00:00.000Z',
        Experimental: 'false',
        GitCommit: 'unknown',
        GoVersion: 'node',
        MinAPIVersion: '1.24',
        Os: 'linux',
      },
    },
    { Name: 'runc', Version: '0.0.0', Details: { GitCommit: 'unknown' } },
  ],
  Version: '0.0.0',
  ApiVersion: '1.45',
  MinAPIVersion: '1.24',
  Os: 'linux',
  Arch: 'amd64',
  BuildTime: '2026-01-01T00:00:00.000Z',
};

/** A stand-in daemon: the requests it answered ("POST /v1.45/containers/create"), and how to stop it. */
export interface StandIn {
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** What the daemon's connections share: the attach and wait that the start ends. */
interface FakeContainer {
  attach?: Socket;
  wait?: Socket;
}

/** Answers the run sequence on one connection as berthd would, at once. */
function serveConnection(socket: Socket, container: FakeContainer, requests: string[]): void {
  let received = '';
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    const end = received.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? 0);
    if (end < 0 || received.length < end + 4 + length) return;
    const [method = '', path = ''] = received.slice(0, end).split(' ');
    received = '';
    requests.push(`${method} ${path.split('?')[0]}`);
    answer(socket, path, container);
  });
}

function answer(socket: Socket, path: string, container: FakeContainer): void {
  if (path.endsWith('/version')) {
    const body = JSON.stringify(STAND_IN_VERSION);
    socket.write(`HTTP/1.1 200 OK\r\n${HEADERS}Content-Length: ${body.length}\r\n\r\n${body}`);
  } else if (path === '/_ping') socket.write(`HTTP/1.1 200 OK\r\n${HEADERS}Content-Length: 0\r\n\r\n`);
  else if (path.includes('/containers/create')) {
    const body = JSON.stringify({ Id: CONTAINER_ID, Warnings: [] });
    socket.write(`HTTP/1.1 201 Created\r\n${HEADERS}Content-Length: ${body.length}\r\n\r\n${body}`);
  } else if (path.includes('/attach')) {
    container.attach = socket;
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  } else if (path.includes('/wait')) {
    container.wait = socket;
    socket.write(`HTTP/1.1 200 OK\r\n${HEADERS}Transfer-Encoding: chunked\r\n\r\n`);
  } else if (path.includes('/start')) {
    socket.write(`HTTP/1.1 204 No Content\r\n${HEADERS}\r\n`);
    setImmediate(() => {
      const body = '{"StatusCode":0}\n';
      container.attach?.end();
      container.wait?.end(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    });
  } else socket.write(`HTTP/1.1 404 Not Found\r\n${HEADERS}Content-Length: 0\r\n\r\n`);
}

/** Starts a stand-in daemon on socketPath (which must not exist) that answers one `run` at a time. */
export function serveStandIn(socketPath: string): Promise<StandIn> {
  const container: FakeContainer = {};
  const requests: string[] = [];
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, container, requests);
  });
  const close = () => {
    for (const socket of connections) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve({ requests, close });
    });
  });
}

/**
 * Runs `berth run --rm busybox true`, then `berth version` (what it prints
 * dropped), through `main` against the stand-in daemon at socketPath.
 */
export async function warmUp(main: (argv: string[]) => Promise<number>, socketPath: string): Promise<void> {
  const host = ['-H', `unix://${socketPath}`];
  const restoreOutput = silenceOutput();
  try {
    for (const argv of [['run', '--rm', '--sig-proxy=false', 'busybox', 'true'], ['version']]) {
      const code = await main([...host, ...argv]);
      if (code !== 0) throw new Error(`the warm-up's berth ${argv[0]} exited ${code}`);
    }
  } finally {
    restoreOutput();
    // The connections made ahead and left over: a snapshot may hold no open handle.
    closeSpares();
  }
}
