import { randomBytes } from 'node:crypto';
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * The daemon's relay socket, `<exec root>/relays.sock` (0600): processes the
 * launcher starts for the daemon (attach relays, conmon) connect back to it
 * and send a one-time token first, so each connection reaches the caller
 * that expects it. Node cannot hand a forked program a socketpair without
 * forking the daemon itself (see core/launcher.ts).
 */
let socketDir: string | undefined;

/** Turns the relay socket on in `dir` (berthd: its exec root); it listens from the first use. */
export function useRelaySocket(dir: string): void {
  socketDir = dir;
}

/** The directory of the relay socket, when the daemon turned it on. */
export function relaySocketDir(): string | undefined {
  return socketDir;
}

interface RelayServer {
  server: Server;
  /** Connections expected, by token. */
  waiting: Map<string, (socket: Socket) => void>;
}

let listening: Promise<RelayServer> | undefined;

/** A connection to come: give `token` to the process that makes it. */
export interface ExpectedConnection {
  token: string;
  /** The connection (paused), once it arrived and sent the token. */
  arrived: Promise<Socket>;
  /** Stops expecting it (the process ended without connecting). */
  cancel(): void;
}

/** Expects one connection on the relay socket. */
export async function expectConnection(): Promise<ExpectedConnection> {
  if (!socketDir) throw new Error('the relay socket is not in use');
  const { waiting } = await listen(socketDir);
  const token = randomBytes(16).toString('hex');
  const arrived = new Promise<Socket>((resolve) => waiting.set(token, resolve));
  return { token, arrived, cancel: () => waiting.delete(token) };
}

function listen(dir: string): Promise<RelayServer> {
  listening ??= (async () => {
    const waiting = new Map<string, (socket: Socket) => void>();
    const path = join(dir, 'relays.sock');
    await rm(path, { force: true });
    // Half-open: a relay's stdin may end while its output goes on.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const newline = head.indexOf(10);
        if (newline === -1) {
          if (head.length > 64) socket.destroy();
          return;
        }
        socket.off('data', onData);
        socket.pause();
        const token = head.subarray(0, newline).toString();
        const claim = waiting.get(token);
        if (!claim) return void socket.destroy();
        waiting.delete(token);
        const rest = head.subarray(newline + 1);
        if (rest.length) socket.unshift(rest);
        claim(socket);
      };
      socket.on('data', onData);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    await chmod(path, 0o600);
    server.unref();
    return { server, waiting };
  })();
  listening.catch(() => {
    listening = undefined;
  });
  return listening;
}
