import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RuntimeConfig } from '../engine/config/types.js';
import type { HostCgroup } from '../engine/host/facts.js';

const run = promisify(execFile);

/** An OCI runtime binary the daemon can drive, as `info` reports it. */
export interface RuntimeInfo {
  name: string;
  path: string;
  runtimeArgs: string[];
  /** e.g. "1.1.5+ds1"; undefined when the binary is missing. */
  version: string | undefined;
  commit: string | undefined;
  /** Why this runtime cannot run containers on this host, if it cannot. */
  unusableReason: string | undefined;
}

/** The runtimes found and the default one. */
export interface RuntimeChoice {
  runtimes: RuntimeInfo[];
  defaultRuntime: string;
  /** One line that says why the default was chosen, shown in `info` warnings when it was not configured. */
  reason: string;
}

async function probeVersion(path: string): Promise<{ version?: string; commit?: string }> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 5000 });
    const version = /version\s+(\S+)/.exec(stdout)?.[1];
    const commit = /commit:\s*(\S+)/.exec(stdout)?.[1];
    return { ...(version ? { version } : {}), ...(commit ? { commit } : {}) };
  } catch {
    return {};
  }
}

/**
 * Known host incompatibilities. crun before 1.9 rejects a hybrid cgroup
 * layout (v1 controllers with a cgroup2 mount) with "cgroups in hybrid mode
 * not supported"; runc handles it.
 */
function unusableOnHost(name: string, version: string | undefined, cgroup: HostCgroup): string | undefined {
  if (version === undefined) return `${name} is not installed`;
  if (name === 'crun' && cgroup.hybrid) {
    const [major = 0, minor = 0] = version.split(/[.+-]/).map(Number);
    if (major < 1 || (major === 1 && minor < 9)) {
      return `crun ${version} does not support this host's hybrid cgroup layout (cgroups in hybrid mode not supported)`;
    }
  }
  return undefined;
}

/** Probes runc, crun and the configured runtimes, and picks the default: crun where it works, else runc. */
export async function detectRuntimes(options: {
  configured: Record<string, RuntimeConfig>;
  defaultRuntime: string | undefined;
  cgroup: HostCgroup;
}): Promise<RuntimeChoice> {
  const entries: [string, RuntimeConfig][] = [
    ['runc', { path: 'runc', runtimeArgs: [] }],
    ['crun', { path: 'crun', runtimeArgs: [] }],
    ...Object.entries(options.configured),
  ];
  const byName = new Map(entries);
  const runtimes = await Promise.all(
    [...byName].map(async ([name, cfg]): Promise<RuntimeInfo> => {
      const probe = await probeVersion(cfg.path);
      return {
        name,
        path: cfg.path,
        runtimeArgs: cfg.runtimeArgs,
        version: probe.version,
        commit: probe.commit,
        unusableReason: unusableOnHost(name, probe.version, options.cgroup),
      };
    }),
  );
  if (options.defaultRuntime !== undefined) {
    return { runtimes, defaultRuntime: options.defaultRuntime, reason: 'configured by default-runtime' };
  }
  const crun = runtimes.find((r) => r.name === 'crun');
  if (crun && crun.unusableReason === undefined) {
    return { runtimes, defaultRuntime: 'crun', reason: 'crun works on this host' };
  }
  return {
    runtimes,
    defaultRuntime: 'runc',
    reason: `runc chosen: ${crun?.unusableReason ?? 'crun is not available'}`,
  };
}
