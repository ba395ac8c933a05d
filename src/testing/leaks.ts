/**
 * Leak counters for crash tests: what a test daemon owns on the host, as sorted
 * strings per kind, and the difference between two such snapshots. A crash test
 * snapshots before an operation, kills berthd in the middle, restarts it, removes
 * what the operation made through the API, snapshots again: anything new is a leak.
 *
 * Ownership is decided without records (a crash may have lost them): paths under
 * the daemon's data and exec roots, iptables rules of its own chains (named after
 * its data root), bridges holding an address of its own address pool, veths
 * plugged into those bridges, network namespaces and cgroups of the container IDs
 * the caller has seen, processes whose command line names its exec or data root.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../core/exec.js';
import { chainPrefixOf } from '../engine/network-stores.js';
import { containsAddress, ipToNumber, parseSubnet } from '../network/ipv4.js';

export interface LeakSnapshot {
  mounts: string[];
  iptables: string[];
  bridges: string[];
  veths: string[];
  netns: string[];
  cgroups: string[];
  processes: string[];
  tempFiles: string[];
}

export type LeakKind = keyof LeakSnapshot;

export interface DaemonRoots {
  dataRoot: string;
  execRoot: string;
  /** The daemon's `default-address-pools` bases (test daemons get a free /20 of their own). */
  pools: string[];
  /** The berthd process itself, whose own command line names the exec root. */
  daemonPid?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The roots of a test daemon (startDaemon's), its address pools read from its daemon.json. */
export async function rootsOfDaemon(daemon: {
  dataRoot: string;
  execRoot: string;
  configFile: string;
  process: { pid?: number | undefined };
}): Promise<DaemonRoots> {
  const config = JSON.parse(await readFile(daemon.configFile, 'utf8')) as {
    'default-address-pools'?: { base: string }[];
  };
  return {
    dataRoot: daemon.dataRoot,
    execRoot: daemon.execRoot,
    pools: (config['default-address-pools'] ?? []).map((p) => p.base),
    ...(daemon.process.pid ? { daemonPid: daemon.process.pid } : {}),
  };
}

/**
 * What the exec root still holds for the given containers: bundles, exit files, rootfs mount
 * points (a removed container must leave none of them).
 */
export async function execRootLeftovers(execRoot: string, ids: Iterable<string>): Promise<string[]> {
  const wanted = new Set(ids);
  const out: string[] = [];
  for (const sub of ['containers', 'exits', 'rootfs']) {
    for (const name of await readdir(join(execRoot, sub)).catch(() => [] as string[])) {
      if (wanted.has(name)) out.push(`${sub}/${name}`);
    }
  }
  return out.sort();
}

/** Container IDs of the daemon's records, to be added to what a test tracks. */
export async function containerIdsOf(dataRoot: string): Promise<string[]> {
  const names = await readdir(join(dataRoot, 'containers')).catch(() => [] as string[]);
  return names.filter((name) => HEX64.test(name));
}

/**
 * Remembers every container ID the daemon had a record for while it runs (a crash
 * may lose the record and leave the namespace or cgroup): call stop() when done.
 */
export function trackContainerIds(dataRoot: string, seen: Set<string>, everyMs = 20): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      for (const id of await containerIdsOf(dataRoot)) seen.add(id);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/** What the daemon of `roots` holds on the host now; `containerIds` widens netns and cgroups. */
export async function snapshotOwned(
  roots: DaemonRoots,
  containerIds: Iterable<string> = [],
): Promise<LeakSnapshot> {
  const ids = new Set([...containerIds, ...(await containerIdsOf(roots.dataRoot))]);
  const bridges = await ownedBridges(roots.pools);
  const [mounts, iptables, veths, netns, cgroups, processes, tempFiles] = await Promise.all([
    ownedMounts(roots),
    ownedRules(chainPrefixOf(roots.dataRoot)),
    vethsOf(bridges),
    namespacesOf(ids),
    cgroupsOf(ids),
    // conmon names the exec root, a log keeper its container's log in the data root.
    processesNaming([roots.execRoot, roots.dataRoot], roots.daemonPid),
    tempFilesUnder(roots.dataRoot),
  ]);
  return { mounts, iptables, bridges, veths, netns, cgroups, processes, tempFiles };
}

/** What `after` holds that `before` did not, per kind (kinds with nothing new are left out). */
export function diffOwned(before: LeakSnapshot, after: LeakSnapshot): Partial<LeakSnapshot> {
  const out: Partial<LeakSnapshot> = {};
  for (const kind of Object.keys(after) as LeakKind[]) {
    const had = new Set(before[kind]);
    const added = after[kind].filter((item) => !had.has(item));
    if (added.length > 0) out[kind] = added;
  }
  return out;
}

/** Total number of leaked items in a diff. */
export const leakCount = (diff: Partial<LeakSnapshot>) =>
  Object.values(diff).reduce((sum, items) => sum + (items?.length ?? 0), 0);

const decodeMountPath = (path: string) =>
  path.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

async function ownedMounts(roots: DaemonRoots): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const inside = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
  return info
    .split('\n')
    .map((line) => decodeMountPath(line.split(' ')[4] ?? ''))
    .filter((point) => inside(point, roots.dataRoot) || inside(point, roots.execRoot))
    .sort();
}

async function ownedRules(prefix: string): Promise<string[]> {
  const rules: string[] = [];
  for (const table of ['filter', 'nat']) {
    const saved = await runCommand('iptables-save', ['-t', table]).catch(() => ({ stdout: '' }));
    for (const line of saved.stdout.split('\n')) {
      // Rules in its chains, jumps into them from the built-in chains, the chains themselves.
      if (line.includes(`${prefix}-`) && (line.startsWith('-A') || line.startsWith(':')))
        rules.push(`${table} ${line.replace(/ \[\d+:\d+\]$/, '')}`);
    }
  }
  return rules.sort();
}

interface IpLink {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}
interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function ipJson<T>(args: string[]): Promise<T[]> {
  const r = await runCommand('ip', ['-j', ...args]).catch(() => ({ stdout: '[]' }));
  try {
    return JSON.parse(r.stdout || '[]') as T[];
  } catch {
    return [];
  }
}

/** Bridges with an IPv4 address inside one of the pools. */
async function ownedBridges(pools: string[]): Promise<string[]> {
  const subnets = pools.map(parseSubnet);
  const addrs = await ipJson<IpAddr>(['addr', 'show', 'type', 'bridge']);
  return addrs
    .filter((link) =>
      (link.addr_info ?? []).some(
        (a) => a.family === 'inet' && subnets.some((s) => containsAddress(s, ipToNumber(a.local))),
      ),
    )
    .map((link) => link.ifname)
    .sort();
}

async function vethsOf(bridges: string[]): Promise<string[]> {
  if (bridges.length === 0) return [];
  const links = await ipJson<IpLink>(['link', 'show', 'type', 'veth']);
  return links
    .filter((link) => link.master !== undefined && bridges.includes(link.master))
    .map((link) => `${link.master}/${link.ifname.replace(/@.*$/, '')}`)
    .sort();
}

async function namespacesOf(ids: Set<string>): Promise<string[]> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  return names.filter((name) => name.startsWith('berth-') && ids.has(name.slice(6))).sort();
}

/** Cgroup directories of the containers in every mounted hierarchy (the default parent is /berth). */
async function cgroupsOf(ids: Set<string>): Promise<string[]> {
  const out: string[] = [];
  const roots = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  const candidates = ['/sys/fs/cgroup', ...roots.map((r) => join('/sys/fs/cgroup', r))];
  for (const root of candidates) {
    for (const name of await readdir(join(root, 'berth')).catch(() => [] as string[])) {
      if (ids.has(name)) out.push(join(root, 'berth', name));
    }
  }
  return [...new Set(out)].sort();
}

async function processesNaming(roots: readonly string[], exceptPid?: number): Promise<string[]> {
  const out: string[] = [];
  const names = (arg: string) => roots.some((root) => arg.includes(root));
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === exceptPid || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!names(cmdline)) continue;
    const argv = cmdline.split('\0').filter(Boolean);
    // berthd itself (a restarted one has a new pid) names its roots with --data-root and --exec-root.
    if (argv.some((arg) => arg.endsWith('/berthd'))) continue;
    out.push(`${argv[0]?.split('/').pop()} ${argv.find(names) ?? ''}`);
  }
  return out.sort();
}

/** Leftovers of unfinished writes: ingest entries, atomic-write temp files, builder work dirs, anywhere in the data root. */
async function tempFilesUnder(dataRoot: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (/^\..+\.[0-9a-f]{12}\.tmp$/.test(entry.name) || rel === 'content/ingest' || rel === 'builder') {
        out.push(path);
        continue;
      }
      // Layer contents are the containers' business, not temp files of the daemon.
      if (
        entry.isDirectory() &&
        depth < 4 &&
        !/^(overlay2\/snapshots|containers\/[0-9a-f]{64}\/)/.test(`${path}/`)
      )
        await walk(join(dir, entry.name), path, depth + 1);
    }
  };
  await walk(dataRoot, '', 0);
  return out.sort();
}
