import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { availableControllers, detectCgroupLayout } from '../../cgroups/layout.js';

/** Filesystem magic numbers (statfs f_type) Docker names in `info`. */
const FS_NAMES: Record<number, string> = {
  61267: 'extfs',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  16914836: 'tmpfs',
  2035054128: 'overlayfs',
  801189825: 'zfs',
  1702057286: 'fuse',
  26985: 'nfs',
};

export interface OsRelease {
  prettyName: string;
  versionId: string;
}

export async function readOsRelease(path = '/etc/os-release'): Promise<OsRelease> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return { prettyName: fields.get('PRETTY_NAME') ?? 'Linux', versionId: fields.get('VERSION_ID') ?? '' };
}

/** The name Docker prints for the filesystem holding `path` ("extfs", "xfs", …). */
export async function backingFilesystem(path: string): Promise<string> {
  try {
    const st = await statfs(path);
    return FS_NAMES[Number(st.type)] ?? `<unknown 0x${Number(st.type).toString(16)}>`;
  } catch {
    return '<unknown>';
  }
}

/** The cgroup facts GET /info and runtime detection report. */
export interface HostCgroup {
  /** "1" for v1 (including hybrid), "2" for the unified hierarchy. */
  version: '1' | '2';
  /** v1 controllers plus a cgroup2 mount (at /sys/fs/cgroup/unified). */
  hybrid: boolean;
  /** Controllers available to containers. */
  controllers: Set<string>;
}

/** This host's cgroups, from the one layout detector the runtime uses too. */
export async function detectHostCgroup(root = '/sys/fs/cgroup'): Promise<HostCgroup> {
  const layout = await detectCgroupLayout(root);
  return {
    version: layout.version === 2 ? '2' : '1',
    hybrid: layout.version === 1 && layout.hierarchies.some((h) => h.version === 2),
    controllers: await availableControllers(layout),
  };
}

/** Whether systemd is the init process, which the systemd cgroup driver needs. */
export async function systemdIsPid1(): Promise<boolean> {
  const comm = await readFile('/proc/1/comm', 'utf8').catch(() => '');
  return comm.trim() === 'systemd';
}

export interface HostFacts {
  hostname: string;
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  cgroup: HostCgroup;
}

export async function readHostFacts(): Promise<HostFacts> {
  const [release, cgroup] = await Promise.all([readOsRelease(), detectHostCgroup()]);
  return {
    hostname: os.hostname(),
    kernelVersion: os.release(),
    operatingSystem: release.prettyName,
    osVersion: release.versionId,
    architecture: os.machine(),
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    cgroup,
  };
}
