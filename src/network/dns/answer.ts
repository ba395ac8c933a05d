import * as packet from 'dns-packet';

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

/** Relays a raw query to upstream servers; undefined when none answered. */
export type Forwarder = (query: Buffer, upstreams: readonly string[]) => Promise<Buffer | undefined>;

/**
 * The response to one raw DNS message, whatever the transport: an answer
 * from the decider, the upstream's answer relayed as is, or an error code.
 * Undefined for messages that are not queries (they get no response).
 */
export async function answerMessage(
  message: Buffer,
  clientIp: string,
  decide: DnsDecider,
  forward: Forwarder,
): Promise<Buffer | undefined> {
  let query: packet.DecodedPacket;
  try {
    query = packet.decode(message);
  } catch {
    return undefined; // Not DNS: ignore, as a resolver would.
  }
  const question = query.questions?.[0];
  if (query.type !== 'query' || !question) return undefined;
  const decision = await decide(clientIp, question);
  switch (decision.kind) {
    case 'forward':
      return (await forward(message, decision.upstreams)) ?? reply(query, [], RCODE.SERVFAIL);
    case 'answer':
      return reply(query, decision.answers, 0);
    case 'nxdomain':
      return reply(query, [], RCODE.NXDOMAIN);
    case 'refuse':
      return reply(query, [], RCODE.REFUSED);
  }
}

function reply(query: packet.DecodedPacket, answers: packet.Answer[], rcode: number): Buffer {
  const recursion = query.flag_rd ? packet.RECURSION_DESIRED : 0;
  const flags = recursion | packet.RECURSION_AVAILABLE | packet.AUTHORITATIVE_ANSWER | rcode;
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
