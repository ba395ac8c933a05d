import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { conflict, unavailable } from '../core/errors.js';
import type { PortMapping, PortProtocol, PublishedPort } from './types.js';

const FALLBACK_RANGE = { start: 49153, end: 60999 };

/**
 * Chooses host ports for published container ports and remembers which are
 * taken by Berth. A port is only handed out if no other endpoint holds it
 * and a test bind on the host succeeds (Docker refuses a published port
 * something else listens on). Reservations are synchronous, so concurrent
 * attaches cannot pick the same port.
 */
export class HostPortAllocator {
  private readonly taken = new Map<string, string[]>();
  private dynamicRange: { start: number; end: number } | undefined;

  /** Chooses a host port for every mapping; on failure nothing stays reserved. */
  async allocate(mappings: readonly PortMapping[]): Promise<PublishedPort[]> {
    const published: PublishedPort[] = [];
    try {
      for (const mapping of mappings) published.push(await this.allocateOne(mapping));
      return published;
    } catch (err) {
      this.release(published);
      throw err;
    }
  }

  /** Marks ports as taken without checking the host (leases found at startup). */
  restore(ports: readonly PublishedPort[]): void {
    for (const port of ports) this.hold(port);
  }

  /** Frees ports; freeing a port that is not held does nothing. */
  release(ports: readonly PublishedPort[]): void {
    for (const port of ports) {
      const key = keyOf(port.protocol, port.hostPort);
      const ips = (this.taken.get(key) ?? []).filter((ip) => ip !== normalIp(port.hostIp));
      if (ips.length === 0) this.taken.delete(key);
      else this.taken.set(key, ips);
    }
  }

  private async allocateOne(mapping: PortMapping): Promise<PublishedPort> {
    const hostIp = normalIp(mapping.hostIp);
    const candidate = (hostPort: number): PublishedPort => ({ ...mapping, hostIp, hostPort });
    if (mapping.hostPort !== 0 && mapping.hostPortEnd === undefined) {
      const port = candidate(mapping.hostPort);
      if (!(await this.tryTake(port))) {
        throw conflict(`Bind for ${hostIp}:${mapping.hostPort} failed: port is already allocated`);
      }
      return port;
    }
    const range =
      mapping.hostPort === 0
        ? await this.ephemeralRange()
        : { start: mapping.hostPort, end: mapping.hostPortEnd ?? mapping.hostPort };
    const size = range.end - range.start + 1;
    const offset = mapping.hostPort === 0 ? Math.floor(Math.random() * size) : 0;
    for (let step = 0; step < size; step++) {
      const port = candidate(range.start + ((offset + step) % size));
      if (await this.tryTake(port)) return port;
    }
    throw unavailable(
      `no free host port in ${range.start}-${range.end} for ${mapping.protocol} port ${mapping.containerPort}`,
    );
  }

  /** Holds the port if Berth has not given it out and the host can bind it. */
  private async tryTake(port: PublishedPort): Promise<boolean> {
    if (this.isHeld(port)) return false;
    this.hold(port);
    if (await canBind(port.protocol, port.hostIp, port.hostPort)) return true;
    this.release([port]);
    return false;
  }

  private isHeld(port: PublishedPort): boolean {
    const ips = this.taken.get(keyOf(port.protocol, port.hostPort)) ?? [];
    return ips.some((ip) => ip === port.hostIp || ip === '0.0.0.0' || port.hostIp === '0.0.0.0');
  }

  private hold(port: PublishedPort): void {
    const key = keyOf(port.protocol, port.hostPort);
    this.taken.set(key, [...(this.taken.get(key) ?? []), normalIp(port.hostIp)]);
  }

  private async ephemeralRange(): Promise<{ start: number; end: number }> {
    if (!this.dynamicRange) {
      const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
      const [start, end] = text.trim().split(/\s+/).map(Number);
      this.dynamicRange = start && end && start <= end ? { start, end } : FALLBACK_RANGE;
    }
    return this.dynamicRange;
  }
}

function keyOf(protocol: PortProtocol, port: number): string {
  return `${protocol}/${port}`;
}

function normalIp(ip: string): string {
  return ip === '' ? '0.0.0.0' : ip;
}

/** Whether a listening socket could be opened on the port right now. */
export function canBind(protocol: PortProtocol, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => socket.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
