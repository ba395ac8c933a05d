import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { invalidArgument } from '../core/errors.js';
import { kernelLinkDelete } from '../core/kernel-calls.js';
import { runChecked } from './process.js';

/** Options of {@link ensureBridge}. */
export interface BridgeSpec {
  name: string;
  /** The gateway address with the subnet's prefix, "10.1.0.1/24". */
  address: string;
  mtu?: number;
}

/**
 * Creates a Linux bridge with its gateway address, or repairs one that
 * exists (after a reboot the CNI bridge plugin would re-create it too, but
 * the DNS server must be able to bind the gateway address before any
 * container is attached), and turns on route_localnet for published ports. The bridge gets a fixed MAC address: otherwise it
 * takes the lowest MAC of its ports and changes as containers come and go,
 * which leaves stale gateway entries in the containers' ARP caches.
 */
export async function ensureBridge(spec: BridgeSpec): Promise<void> {
  checkInterfaceName(spec.name);
  const commands: string[] = [];
  if (!(await linkExists(spec.name))) {
    commands.push(`link add name ${spec.name} address ${randomLocalMac()} type bridge`);
  }
  commands.push(`address replace ${spec.address} dev ${spec.name}`);
  if (spec.mtu) commands.push(`link set dev ${spec.name} mtu ${spec.mtu}`);
  commands.push(`link set dev ${spec.name} up`);
  await runChecked('ip', ['-batch', '-'], { input: `${commands.join('\n')}\n` });
  // Lets 127.0.0.1 → published port be routed to the bridge (then masqueraded to the gateway).
  await writeFile(`/proc/sys/net/ipv4/conf/${spec.name}/route_localnet`, '1');
}

/**
 * Points a namespace's default route at a gateway through one of its
 * interfaces (when the container's gateway network is disconnected and
 * another of its networks takes over). Does nothing if the namespace is gone.
 */
export async function routeDefaultVia(netnsPath: string, gateway: string, ifName: string): Promise<void> {
  if (
    !(await access(netnsPath).then(
      () => true,
      () => false,
    ))
  )
    return;
  await runChecked('nsenter', [
    `--net=${netnsPath}`,
    'ip',
    'route',
    'replace',
    'default',
    'via',
    gateway,
    'dev',
    ifName,
  ]);
}

/** Deletes a link if it exists. */
export async function deleteLink(name: string): Promise<void> {
  if (await kernelLinkDelete(name)) return;
  if (await linkExists(name)) await runChecked('ip', ['link', 'delete', 'dev', name]);
}

/** Whether a network interface of this name exists in the host namespace. */
export async function linkExists(name: string): Promise<boolean> {
  try {
    await access(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Throws unless `name` is a valid Linux interface name (1–15 characters, no '/', ':' or space). */
export function checkInterfaceName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw invalidArgument(`invalid interface name "${name}": use 1-15 letters, digits, '.', '-' or '_'`);
  }
}

/** A random unicast, locally administered MAC address. */
export function randomLocalMac(): string {
  const bytes = randomBytes(6);
  bytes[0] = ((bytes[0] ?? 0) & 0xfe) | 0x02;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Docker's MAC for a container address: 02:42 followed by the four bytes of the IPv4 address. */
export function macForAddress(ip: string): string {
  const bytes = [0x02, 0x42, ...ip.split('.').map(Number)];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}
