import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../core/logger.js';
import { answerMessage, type DnsDecider } from './answer.js';
import { forwardQuery, forwardQueryTcp } from './forward.js';

/** Options of {@link startDnsServer}. */
export interface DnsServerOptions {
  /** The network's gateway address the server binds. */
  address: string;
  port: number;
  decide: DnsDecider;
  logger: Logger;
}

/** A running DNS server; `close` stops it. */
export interface DnsServer {
  readonly address: string;
  close(): Promise<void>;
}

/** A TCP client gets this long between messages before the connection is closed. */
const TCP_IDLE_MS = 10_000;

/**
 * Starts a DNS server on a network's gateway address, over UDP and TCP (a
 * resolver retries over TCP when a UDP answer comes back truncated): it
 * answers the names the decider knows and relays the rest upstream.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const udp = await listenUdp(options);
  const tcp = await listenTcp(options).catch(async (err) => {
    await new Promise<void>((done) => udp.close(() => done()));
    throw err;
  });
  return {
    address: options.address,
    close: async () => {
      await Promise.all([
        new Promise<void>((done) => udp.close(() => done())),
        new Promise<void>((done) => tcp.close(() => done())),
      ]);
    },
  };
}

function listenUdp(options: DnsServerOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.once('error', reject);
    socket.on('message', (message, remote) => {
      answerMessage(message, remote.address, options.decide, forwardQuery).then(
        (answer) => answer && socket.send(answer, remote.port, remote.address),
        (error) => options.logger.warn('DNS query failed', { error, client: remote.address }),
      );
    });
    socket.bind(options.port, options.address, () => {
      socket.off('error', reject);
      socket.on('error', (error) =>
        options.logger.warn('DNS server error', { error, address: options.address }),
      );
      resolve(socket);
    });
  });
}

function listenTcp(options: DnsServerOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((connection) => serveTcp(connection, options));
    server.once('error', reject);
    server.listen({ port: options.port, host: options.address }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Serves length-prefixed messages (RFC 1035 §4.2.2) on one connection. */
function serveTcp(connection: Socket, options: DnsServerOptions): void {
  let pending = Buffer.alloc(0);
  connection.setTimeout(TCP_IDLE_MS, () => connection.destroy());
  connection.on('error', () => connection.destroy());
  connection.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + message.length);
      const client = connection.remoteAddress?.replace(/^::ffff:/, '') ?? '';
      answerMessage(message, client, options.decide, forwardQueryTcp).then(
        (answer) => answer && !connection.destroyed && connection.write(withLength(answer)),
        (error) => options.logger.warn('DNS query failed', { error, client }),
      );
    }
  });
}

/** A message with its two-byte length prefix, as DNS over TCP frames it. */
export function withLength(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}
