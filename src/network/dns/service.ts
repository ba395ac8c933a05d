import type { Question } from 'dns-packet';
import type { Logger } from '../../core/logger.js';
import { containsAddress, ipToNumber, parseSubnet } from '../ipv4.js';
import type { NetworkRecord } from '../types.js';
import { addressAnswer, type DnsDecision, pointerAnswer } from './answer.js';
import { NameTable } from './names.js';
import { readHostResolvConf } from './resolv-conf.js';
import { type DnsServer, startDnsServer } from './server.js';

/** Options of {@link NetworkDns}. */
export interface NetworkDnsOptions {
  /** UDP port of the servers; 53 in the daemon. */
  port: number;
  /** The host's resolv.conf, whose servers get the names Berth does not know. */
  hostResolvConf: string;
  /**
   * Whether a container can reach outside networks (it has an endpoint on a
   * network that is not internal). Names of others are not forwarded for
   * containers that cannot, as in Docker: an internal network stays sealed.
   */
  hasExternalAccess(containerId: string): boolean;
  logger: Logger;
}

/** How long the host's resolver list is reused before resolv.conf is read again. */
const UPSTREAM_REFRESH_MS = 5000;

/**
 * Name resolution for user-defined networks: one DNS server per network on
 * its gateway address (Berth's answer to Docker's 127.0.0.11, which would
 * need a listener inside every container), all sharing one name table.
 * Clients outside a network's subnet are refused, so a network's names do
 * not leak to another network through its gateway.
 */
export class NetworkDns {
  readonly names = new NameTable();
  private readonly servers = new Map<string, DnsServer>();
  private upstreams: { servers: string[]; readAt: number } | undefined;

  constructor(private readonly options: NetworkDnsOptions) {}

  /** Starts the network's server (once). */
  async start(network: NetworkRecord): Promise<void> {
    if (this.servers.has(network.id) || !network.ipv4) return;
    const server = await startDnsServer({
      address: network.ipv4.gateway,
      port: this.options.port,
      decide: (clientIp, question) => this.decide(network, clientIp, question),
      logger: this.options.logger.with({ network: network.name }),
    });
    this.servers.set(network.id, server);
  }

  /** Stops the network's server, if running. */
  async stop(networkId: string): Promise<void> {
    const server = this.servers.get(networkId);
    this.servers.delete(networkId);
    await server?.close();
  }

  /** Stops every server. */
  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.stop(id)));
  }

  private async decide(network: NetworkRecord, clientIp: string, question: Question): Promise<DnsDecision> {
    const subnet = parseSubnet(network.ipv4?.subnet ?? '0.0.0.0/32');
    if (!isIpv4(clientIp) || !containsAddress(subnet, ipToNumber(clientIp))) return { kind: 'refuse' };
    const client = this.names.endpointByAddress(network.id, clientIp);
    const external = client ? this.options.hasExternalAccess(client.containerId) : !network.internal;
    const upstreams = async (): Promise<DnsDecision> =>
      external
        ? { kind: 'forward', upstreams: await this.upstreamsFor(client?.dnsServers) }
        : { kind: 'refuse' };
    if (question.type === 'A' || question.type === 'AAAA') {
      const addresses = this.names.lookup(network.id, client, question.name);
      if (addresses.length === 0) return upstreams();
      // Berth's networks are IPv4 only: a known name has no AAAA record (NOERROR, no answers).
      const answers = question.type === 'A' ? addresses.map((ip) => addressAnswer(question.name, ip)) : [];
      return { kind: 'answer', answers };
    }
    if (question.type === 'PTR') {
      const ip = reverseLookupAddress(question.name);
      const name = ip ? this.names.reverse(network.id, client, ip) : undefined;
      if (name) return { kind: 'answer', answers: [pointerAnswer(question.name, name)] };
      if (ip && containsAddress(subnet, ipToNumber(ip))) return { kind: 'nxdomain' };
    }
    return upstreams();
  }

  private async upstreamsFor(containerServers: readonly string[] | undefined): Promise<string[]> {
    if (containerServers && containerServers.length > 0) return [...containerServers];
    if (!this.upstreams || Date.now() - this.upstreams.readAt > UPSTREAM_REFRESH_MS) {
      const conf = await readHostResolvConf(this.options.hostResolvConf);
      this.upstreams = { servers: conf.nameservers, readAt: Date.now() };
    }
    return this.upstreams.servers;
  }
}

function isIpv4(ip: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip);
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; undefined for anything else. */
export function reverseLookupAddress(name: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(name);
  return match ? [match[4], match[3], match[2], match[1]].join('.') : undefined;
}
