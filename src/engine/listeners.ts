import { chmod, chown, mkdir, readFile, unlink } from 'node:fs/promises';
import { Server as HttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { failedPrecondition, invalidArgument } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { socketAccepts } from '../core/net.js';
import type { DaemonConfig } from './config/types.js';

/** What each listening server dispatches to: plain requests and hijacked (upgrade) ones. */
export interface ApiHandlers {
  handler: RequestListener;
  upgradeHandler: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface Listener {
  address: string;
  server: Server;
  close(): Promise<void>;
}

/** The gid of a group in /etc/group, or undefined when it does not exist. */
export async function groupId(name: string): Promise<number | undefined> {
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

function listen(server: Server, args: Parameters<Server['listen']>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Hijacked connections (attach, exec) leave the server's books; shutdown must still end them. */
const hijacked = new WeakMap<Server, Set<Duplex>>();

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as HttpServer).closeAllConnections?.();
    for (const socket of hijacked.get(server) ?? []) socket.destroy();
  });
}

/** Keeps a bad request line or garbage bytes from doing anything but closing that one connection. */
function hardenHttp(server: HttpServer, api: ApiHandlers, log: Logger): void {
  const sockets = new Set<Duplex>();
  hijacked.set(server, sockets);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    api.upgradeHandler(req, socket, head);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.on('clientError', (err, socket) => {
    log.debug('bad request on the API socket', { error: err });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });
}

async function listenUnix(path: string, api: ApiHandlers, config: DaemonConfig, log: Logger) {
  if (await socketAccepts(path)) {
    throw failedPrecondition(`another daemon is already listening on ${path}; stop it or choose another -H`);
  }
  await unlink(path).catch(() => {});
  await mkdir(dirname(path), { recursive: true });
  const server = new HttpServer(api.handler);
  hardenHttp(server, api, log);
  await listen(server, { path });
  // dockerd's rule: 0660, owned by root and the daemon's group when that group exists.
  await chmod(path, 0o660);
  const gid = await groupId(config.group);
  if (gid !== undefined) await chown(path, 0, gid);
  else if (config.group !== 'berth') log.warn(`group ${config.group} not found; the socket is root-only`);
  return {
    address: `unix://${path}`,
    server,
    close: async () => {
      await closeServer(server);
      await unlink(path).catch(() => {});
    },
  };
}

async function listenTcp(hostPort: string, api: ApiHandlers, config: DaemonConfig, log: Logger) {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(hostPort);
  if (!m) throw invalidArgument(`invalid tcp address ${hostPort}`);
  const host = m[1] || '0.0.0.0';
  let server: HttpServer;
  if (config.tls || config.tlsVerify) {
    const read = async (file: string | undefined, what: string) => {
      if (!file) throw invalidArgument(`TLS requires ${what}`);
      return readFile(file);
    };
    server = new HttpsServer(
      {
        cert: await read(config.tlsCert, '--tlscert'),
        key: await read(config.tlsKey, '--tlskey'),
        ...(config.tlsVerify
          ? { ca: await read(config.tlsCaCert, '--tlscacert'), requestCert: true, rejectUnauthorized: true }
          : {}),
      },
      api.handler,
    );
  } else {
    log.warn(`API listening on ${hostPort} without TLS: anyone who can reach it has root on this host`);
    server = new HttpServer(api.handler);
  }
  hardenHttp(server, api, log);
  await listen(server, { host, port: Number(m[2]) });
  return { address: `tcp://${hostPort}`, server, close: () => closeServer(server) };
}

async function listenFd(fd: number, api: ApiHandlers, log: Logger) {
  const server = new HttpServer(api.handler);
  hardenHttp(server, api, log);
  await listen(server, { fd });
  return { address: `fd://${fd}`, server, close: () => closeServer(server) };
}

/** Systemd socket activation: LISTEN_FDS sockets start at fd 3. */
function activatedFds(): number[] {
  if (process.env.LISTEN_PID !== String(process.pid)) return [];
  const count = Number(process.env.LISTEN_FDS ?? 0);
  return Array.from({ length: count }, (_, i) => 3 + i);
}

export async function openListeners(
  config: DaemonConfig,
  api: ApiHandlers,
  log: Logger,
): Promise<Listener[]> {
  const opened: Listener[] = [];
  try {
    for (const host of config.hosts) {
      if (host.startsWith('unix://')) opened.push(await listenUnix(host.slice(7), api, config, log));
      else if (host.startsWith('tcp://')) opened.push(await listenTcp(host.slice(6), api, config, log));
      else if (host.startsWith('fd://')) {
        const fds = host === 'fd://' ? activatedFds() : [Number(host.slice(5))];
        if (fds.length === 0) throw invalidArgument('fd:// given but no sockets were passed by systemd');
        for (const fd of fds) opened.push(await listenFd(fd, api, log));
      } else throw invalidArgument(`invalid host ${host}: use unix://, tcp:// or fd://`);
    }
  } catch (err) {
    await Promise.all(opened.map((l) => l.close()));
    throw err;
  }
  return opened;
}
