import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** How long one upstream server gets to answer a forwarded query. */
export const UPSTREAM_TIMEOUT_MS = 2000;

/**
 * Sends a raw DNS query to the upstream servers in turn and returns the
 * first answer carrying the query's ID, or undefined when none answers.
 * The query is forwarded as it came, so the answer can be relayed as is.
 */
export async function forwardQuery(
  query: Buffer,
  upstreams: readonly string[],
  timeoutMs = UPSTREAM_TIMEOUT_MS,
): Promise<Buffer | undefined> {
  for (const upstream of upstreams) {
    const answer = await askOne(query, upstream, timeoutMs);
    if (answer) return answer;
  }
  return undefined;
}

function askOne(query: Buffer, server: string, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(server) ? 'udp6' : 'udp4');
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (message) => {
      // The first two bytes are the query ID; anything else is not our answer.
      if (message.length >= 2 && message.readUInt16BE(0) === query.readUInt16BE(0)) finish(message);
    });
    socket.send(query, 53, server.split('%')[0]);
  });
}
