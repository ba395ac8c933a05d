/**
 * Command-line flags as daemon.json directives, so both go through the same
 * checks, and dockerd's rule that a directive may not be set both ways.
 */
import { fileError, goFormat } from './config-error.js';
import type { DaemonFlags } from './types.js';

/** Flags that are not directives: where to read the file, and berthd's own opt-in. */
type NonDirectiveFlag = 'configFile' | 'insecureTcp';
type DirectiveFlag = Exclude<keyof DaemonFlags, NonDirectiveFlag>;

/** For each flag: its daemon.json key and its command-line name (dockerd's). */
const FLAG_DIRECTIVES: Readonly<Record<DirectiveFlag, { key: string; flag: string }>> = {
  hosts: { key: 'hosts', flag: 'host' },
  dataRoot: { key: 'data-root', flag: 'data-root' },
  execRoot: { key: 'exec-root', flag: 'exec-root' },
  pidfile: { key: 'pidfile', flag: 'pidfile' },
  debug: { key: 'debug', flag: 'debug' },
  logLevel: { key: 'log-level', flag: 'log-level' },
  tls: { key: 'tls', flag: 'tls' },
  tlsVerify: { key: 'tlsverify', flag: 'tlsverify' },
  tlsCaCert: { key: 'tlscacert', flag: 'tlscacert' },
  tlsCert: { key: 'tlscert', flag: 'tlscert' },
  tlsKey: { key: 'tlskey', flag: 'tlskey' },
  bip: { key: 'bip', flag: 'bip' },
  bridge: { key: 'bridge', flag: 'bridge' },
  group: { key: 'group', flag: 'group' },
  ipForward: { key: 'ip-forward', flag: 'ip-forward' },
  iptables: { key: 'iptables', flag: 'iptables' },
  storageDriver: { key: 'storage-driver', flag: 'storage-driver' },
  defaultRuntime: { key: 'default-runtime', flag: 'default-runtime' },
  liveRestore: { key: 'live-restore', flag: 'live-restore' },
  insecureRegistries: { key: 'insecure-registries', flag: 'insecure-registry' },
  registryMirrors: { key: 'registry-mirrors', flag: 'registry-mirror' },
  execOpts: { key: 'exec-opts', flag: 'exec-opt' },
  logDriver: { key: 'log-driver', flag: 'log-driver' },
  logOpts: { key: 'log-opts', flag: 'log-opt' },
  experimental: { key: 'experimental', flag: 'experimental' },
};

/** The set flags as directive entries, by daemon.json key. Unset flags and empty lists are left out. */
export function flagDirectives(flags: DaemonFlags): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const [name, { key }] of Object.entries(FLAG_DIRECTIVES)) {
    const value: unknown = flags[name as DirectiveFlag];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    entries.set(key, name === 'logOpts' && Array.isArray(value) ? logOptsObject(value) : value);
  }
  return entries;
}

// --log-opt max-size=10m, like dockerd's MapOpts: the value may be empty, the "=" may be missing.
function logOptsObject(pairs: readonly unknown[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const [name = '', ...value] = String(pair).split('=');
      return [name, value.join('=')];
    }),
  );
}

/** The command-line name of the flag setting `key`, if there is one. */
export function flagNameOf(key: string): string | undefined {
  return Object.values(FLAG_DIRECTIVES).find((entry) => entry.key === key)?.flag;
}

/**
 * dockerd refuses a directive given both as a flag and in the file, even
 * with equal values; the error lists every such directive.
 */
export function checkFlagConflicts(
  path: string,
  fromFile: ReadonlyMap<string, unknown>,
  fromFlags: ReadonlyMap<string, unknown>,
): void {
  const conflicts: string[] = [];
  for (const [key, flagValue] of fromFlags) {
    if (!fromFile.has(key)) continue;
    conflicts.push(`${key}: (from flag: ${goFormat(flagValue)}, from file: ${goFormat(fromFile.get(key))})`);
  }
  if (conflicts.length > 0) {
    throw fileError(
      path,
      `the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`,
    );
  }
}
