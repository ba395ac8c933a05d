/**
 * Fixtures for the network tests: unique names, network namespaces that are
 * always removed, commands inside them, free subnets and snapshots of what
 * the host has (links, namespaces, iptables lines, lease files).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { hostSubnets } from './ipam.js';
import { formatSubnet, parseSubnet, subnetsOverlap } from './ipv4.js';
import { runChecked, runProcess } from './process.js';

/** Why the root-only network tests cannot run here, or undefined when they can. */
export async function networkTestsUnavailable(cniPluginDir = '/usr/lib/cni'): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  for (const program of [join(cniPluginDir, 'bridge'), '/bin/busybox']) {
    if (
      !(await access(program).then(
        () => true,
        () => false,
      ))
    )
      return `${program} is not installed`;
  }
  return undefined;
}

/** A short random hex string for unique names. */
export function uniqueSuffix(bytes = 3): string {
  return randomBytes(bytes).toString('hex');
}

/** A random /24 in 10.0.0.0/8 that overlaps none of the host's subnets nor `avoid`. */
export async function freeSubnet(avoid: readonly string[] = []): Promise<string> {
  const taken = [...(await hostSubnets()), ...avoid.map(parseSubnet)];
  for (;;) {
    const candidate = parseSubnet(`10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.0/24`);
    if (!taken.some((subnet) => subnetsOverlap(subnet, candidate))) return formatSubnet(candidate);
  }
}

/** The host's IPv4 address on the interface of its default route. */
export async function hostAddress(): Promise<string | undefined> {
  const routes = await readFile('/proc/net/route', 'utf8');
  const iface = routes
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === '00000000')?.[0];
  return networkInterfaces()[iface ?? '']?.find((address) => address.family === 'IPv4')?.address;
}

/** Network namespaces made by one test; `removeAll` deletes them and stops the processes started in them. */
export class NetnsPool {
  private readonly names: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(private readonly prefix: string) {}

  /** Creates a namespace and returns its path. */
  async create(label: string): Promise<string> {
    const name = `${this.prefix}-${label}`;
    await runChecked('ip', ['netns', 'add', name]);
    this.names.push(name);
    return `/run/netns/${name}`;
  }

  /** Deletes one namespace now. */
  async delete(label: string): Promise<void> {
    const name = `${this.prefix}-${label}`;
    await runProcess('ip', ['netns', 'delete', name]);
    this.names.splice(this.names.indexOf(name), 1);
  }

  /** Runs a command in a namespace; resolves with its exit code and output. */
  exec(label: string, args: readonly string[], input?: string) {
    return runProcess('ip', ['netns', 'exec', `${this.prefix}-${label}`, ...args], { input });
  }

  /** Starts a long-running command in a namespace (stopped by PID in `removeAll`). */
  start(label: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', `${this.prefix}-${label}`, ...args], { stdio: 'ignore' });
    this.children.push(child);
    return child;
  }

  async removeAll(): Promise<void> {
    for (const child of this.children.splice(0)) {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
    for (const name of this.names.splice(0)) await runProcess('ip', ['netns', 'delete', name]);
  }
}

/** What a test may leave behind, as comparable lists. */
export interface HostSnapshot {
  links: string[];
  netns: string[];
  iptables: string[];
  leases: string[];
}

/** Links ("name master"), namespaces, iptables lines (without comments and counters) and lease files. */
export async function snapshotHost(stateDir: string): Promise<HostSnapshot> {
  const links = (await runChecked('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const name = (line.split(': ')[1] ?? '').split('@')[0] ?? '';
      const master = / master (\S+)/.exec(line)?.[1] ?? '';
      return `${name} ${master}`.trim();
    });
  const netns = (await runChecked('ip', ['netns', 'list'])).stdout.split('\n').filter(Boolean);
  const iptables = (await runChecked('iptables-save', [])).stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/, ''));
  const leases = await listFiles(stateDir, ['endpoints', join('cni', 'results')]);
  return { links, netns, iptables, leases };
}

/**
 * A snapshot taken once none of the links `ours` recognises differ from
 * `before` any more (or after 5 s): the kernel removes the veth of a deleted
 * namespace asynchronously.
 */
export async function settledSnapshot(
  stateDir: string,
  before: HostSnapshot,
  ours: (entry: string) => boolean,
): Promise<HostSnapshot> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = await snapshotHost(stateDir);
    const diff = changes(before.links, now.links);
    if ([...diff.added, ...diff.removed].filter(ours).length === 0 || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Entries in `after` but not in `before` (a multiset difference), and the other way round. */
export function changes(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; removed: string[] } {
  const remaining = [...before];
  const added: string[] = [];
  for (const item of after) {
    const index = remaining.indexOf(item);
    if (index >= 0) remaining.splice(index, 1);
    else added.push(item);
  }
  return { added, removed: remaining };
}

async function listFiles(root: string, dirs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries)
      if (entry.isFile()) files.push(join(entry.parentPath ?? entry.path, entry.name));
  }
  return files;
}
