import type { MountSpec, OciMount } from './types.js';

/** Options Docker gives every tmpfs mount unless the user says otherwise. */
const TMPFS_DEFAULTS = ['nosuid', 'nodev', 'noexec'];

/**
 * The OCI runtime spec entry for a mount. `hostSource` is the host path to
 * bind: the bind source itself, or the volume's data directory from
 * `VolumeService.mount`; tmpfs mounts have none. Binds and volumes are
 * recursive binds, private unless a propagation was asked (Docker's rprivate).
 */
export function toOciMount(spec: MountSpec, hostSource = spec.source): OciMount {
  if (spec.type === 'tmpfs') {
    return { destination: spec.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(spec) };
  }
  const options = [
    spec.nonRecursive ? 'bind' : 'rbind',
    spec.readOnly ? 'ro' : 'rw',
    spec.propagation ?? 'rprivate',
  ];
  return { destination: spec.target, type: 'bind', source: hostSource, options };
}

function tmpfsOptions(spec: MountSpec): string[] {
  const given = [...(spec.tmpfsOptions ?? [])];
  if (spec.tmpfsSize !== undefined) given.push(`size=${spec.tmpfsSize}`);
  if (spec.tmpfsMode !== undefined) given.push(`mode=${spec.tmpfsMode.toString(8)}`);
  // A user option overrides its default: exec beats noexec, dev beats nodev, suid beats nosuid.
  const defaults = TMPFS_DEFAULTS.filter((option) => !given.includes(option.slice(2)));
  return [...defaults, ...given, spec.readOnly ? 'ro' : 'rw'];
}
