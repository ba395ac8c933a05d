import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';

/** How long one upstream server gets to answer a forwarded query. */
export const UPSTREAM_TIMEOUT_MS = 2000;

/**
 * Sends a raw DNS query to the upstream servers in turn over UDP and
 * returns the first answer carrying the query's ID, or undefined when none
 * answers. The query is forwarded as it came, so the answer can be relayed
 * as is (a truncated one included: the client then asks again over TCP).
 */
export async function forwardQuery(query: Buffer, upstreams: readonly string[]): Promise<Buffer | undefined> {
  for (const upstream of upstreams) {
    const answer = await askUdp(query, upstream);
    if (answer) return answer;
  }
  return undefined;
}

/** Like {@link forwardQuery}, over TCP (for clients that came over TCP). */
export async function forwardQueryTcp(
  query: Buffer,
  upstreams: readonly string[],
): Promise<Buffer | undefined> {
  for (const upstream of upstreams) {
    const answer = await askTcp(query, upstream);
    if (answer) return answer;
  }
  return undefined;
}

function askUdp(query: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(server) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (answer: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), UPSTREAM_TIMEOUT_MS);
    socket.on('error', () => finish(undefined));
    socket.on('message', (message) => {
      // The first two bytes are the query ID; anything else is not our answer.
      if (message.length >= 2 && message.readUInt16BE(0) === query.readUInt16BE(0)) finish(message);
    });
    socket.send(query, 53, server.split('%')[0]);
  });
}

function askTcp(query: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.split('%')[0], port: 53, timeout: UPSTREAM_TIMEOUT_MS });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (answer: Buffer | undefined) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(answer);
    };
    socket.on('timeout', () => finish(undefined));
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
  });
}
