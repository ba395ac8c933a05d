import { invalidArgument } from '../../core/errors.js';

/** Every Linux capability by number (capability.h), up to CAP_CHECKPOINT_RESTORE (5.9). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set (the 14 of moby's `caps.DefaultCapabilities`), in its order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** The capability names whose bits are set in a hex mask such as /proc/self/status's CapBnd. */
export function capabilitiesFromMask(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  return CAPABILITY_NAMES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The hex mask (as /proc/<pid>/status prints it) of a list of capability names. */
export function maskFromCapabilities(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITY_NAMES.indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all become "CAP_NET_ADMIN"; "ALL" stays. */
export function normalizeCapability(name: string): string {
  const upper = name.toUpperCase();
  if (upper === 'ALL') return upper;
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!CAPABILITY_NAMES.includes(full)) throw invalidArgument(`unknown capability: "${full}"`);
  return full;
}

/** The effective capability set and what had to be left out. */
export interface CapabilityChoice {
  capabilities: string[];
  /** Requested capabilities the daemon itself does not hold (so cannot grant). */
  unavailable: string[];
}

/**
 * Docker's `TweakCapabilities`: privileged gets everything; `--cap-add ALL`
 * everything but the dropped; `--cap-drop ALL` only the added; otherwise the
 * defaults minus drops plus adds. "Everything" is the daemon's own bounding
 * set, not every capability the kernel knows: a process cannot grant what it
 * lacks, and runc fails the start when asked to (e.g. root without
 * CAP_SYS_RESOURCE).
 */
export function chooseCapabilities(options: {
  privileged?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  bounding: readonly string[];
}): CapabilityChoice {
  const adds = (options.capAdd ?? []).map(normalizeCapability);
  const drops = (options.capDrop ?? []).map(normalizeCapability);
  let wanted: string[];
  if (options.privileged) wanted = [...options.bounding];
  else if (adds.includes('ALL')) wanted = options.bounding.filter((cap) => !drops.includes(cap));
  else if (drops.includes('ALL')) wanted = adds;
  else wanted = [...DEFAULT_CAPABILITIES.filter((cap) => !drops.includes(cap)), ...adds];
  const unique = [...new Set(wanted)];
  return {
    capabilities: unique.filter((cap) => options.bounding.includes(cap)),
    unavailable: unique.filter((cap) => !options.bounding.includes(cap)),
  };
}
