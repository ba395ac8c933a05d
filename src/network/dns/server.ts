import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import * as packet from 'dns-packet';
import type { Logger } from '../../core/logger.js';
import { forwardQuery } from './forward.js';

/** Seconds a resolver may cache a container's address; Docker's embedded DNS uses 600. */
const TTL = 600;
const RCODE = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** What to do with a question, decided by the network's name table. */
export type DnsDecision =
  | { kind: 'refuse' }
  | { kind: 'answer'; answers: packet.Answer[] }
  | { kind: 'nxdomain' }
  | { kind: 'forward'; upstreams: string[] };

/** Decides how a network's DNS server answers one question from one client. */
export type DnsDecider = (clientIp: string, question: packet.Question) => Promise<DnsDecision>;

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

/**
 * Starts a UDP DNS server on a network's gateway address: it answers the
 * names the decider knows and relays the rest to upstream resolvers.
 */
export function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.once('error', reject);
    socket.on('message', (message, remote) => {
      handleQuery(socket, message, remote, options).catch((err) =>
        options.logger.warn('DNS query failed', { error: err, client: remote.address }),
      );
    });
    socket.bind(options.port, options.address, () => {
      socket.off('error', reject);
      socket.on('error', (err) =>
        options.logger.warn('DNS server error', { error: err, address: options.address }),
      );
      resolve({ address: options.address, close: () => new Promise((done) => socket.close(() => done())) });
    });
  });
}

async function handleQuery(socket: Socket, message: Buffer, remote: RemoteInfo, options: DnsServerOptions) {
  let query: packet.DecodedPacket;
  try {
    query = packet.decode(message);
  } catch {
    return; // Not DNS: ignore, as a resolver would.
  }
  const question = query.questions?.[0];
  if (query.type !== 'query' || !question) return;
  const decision = await options.decide(remote.address, question);
  if (decision.kind === 'forward') {
    const answer = await forwardQuery(message, decision.upstreams);
    socket.send(answer ?? reply(query, [], RCODE.SERVFAIL), remote.port, remote.address);
    return;
  }
  const rcode =
    decision.kind === 'refuse' ? RCODE.REFUSED : decision.kind === 'nxdomain' ? RCODE.NXDOMAIN : 0;
  const answers = decision.kind === 'answer' ? decision.answers : [];
  socket.send(reply(query, answers, rcode), remote.port, remote.address);
}

function reply(query: packet.DecodedPacket, answers: packet.Answer[], rcode: number): Buffer {
  const flags =
    (query.flag_rd ? packet.RECURSION_DESIRED : 0) |
    packet.RECURSION_AVAILABLE |
    packet.AUTHORITATIVE_ANSWER |
    rcode;
  return packet.encode({ type: 'response', id: query.id, flags, questions: query.questions, answers });
}

/** An A record of the server's answers. */
export function addressAnswer(name: string, ip: string): packet.Answer {
  return { type: 'A', class: 'IN', name, ttl: TTL, data: ip };
}

/** A PTR record of the server's answers. */
export function pointerAnswer(name: string, target: string): packet.Answer {
  return { type: 'PTR', class: 'IN', name, ttl: TTL, data: target };
}
