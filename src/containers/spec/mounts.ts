import { invalidArgument } from '../../core/errors.js';
import { CONTAINER_INIT_PATH } from './command.js';
import type { OciMount } from './oci.js';
import type { ContainerFiles, ContainerRequest } from './request.js';

/** Docker's default /dev/shm size: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's default mounts (moby oci.DefaultLinuxSpec): what every Linux container sees. */
export function defaultMounts(): OciMount[] {
  const m = (destination: string, type: string, source: string, options: string[]): OciMount => ({
    destination,
    type,
    source,
    options,
  });
  return [
    m('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
    m('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    m('/dev/pts', 'devpts', 'devpts', [
      'nosuid',
      'noexec',
      'newinstance',
      'ptmxmode=0666',
      'mode=0620',
      'gid=5',
    ]),
    m('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
    m('/sys/fs/cgroup', 'cgroup', 'cgroup', ['ro', 'nosuid', 'noexec', 'nodev']),
    m('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
    m('/dev/shm', 'tmpfs', 'shm', ['nosuid', 'noexec', 'nodev', 'mode=1777']),
  ];
}

/** Mounts whose read-only state `--read-only` leaves alone (dockerd's WithMounts). */
const KEEP_WRITABLE = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);

/** Mount flags as option families: a later option of a family replaces an earlier one. */
const FLAG_FAMILIES: Record<string, string> = {
  ro: 'rdonly',
  rw: 'rdonly',
  exec: 'noexec',
  noexec: 'noexec',
  suid: 'nosuid',
  nosuid: 'nosuid',
  dev: 'nodev',
  nodev: 'nodev',
  sync: 'sync',
  async: 'sync',
  atime: 'atime',
  noatime: 'atime',
  diratime: 'diratime',
  nodiratime: 'diratime',
  relatime: 'relatime',
  norelatime: 'relatime',
  strictatime: 'strictatime',
  nostrictatime: 'strictatime',
  private: 'propagation',
  rprivate: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
};
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** Docker's `MergeTmpfsOptions`: the last option of each flag family or data key wins. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const option of [...options].reverse()) {
    if (option === 'defaults' || option === '') continue;
    const key = FLAG_FAMILIES[option] ?? option.split('=', 1)[0]!;
    if (!FLAG_FAMILIES[option] && (!option.includes('=') || !TMPFS_DATA.has(key))) {
      throw invalidArgument(`invalid tmpfs option "${option}"`);
    }
    if (seen.has(key)) continue;
    seen.add(key);
    merged.unshift(option);
  }
  return merged;
}

/** `--tmpfs` mounts: noexec, nosuid, nodev and rprivate unless the options say otherwise. */
function tmpfsMounts(tmpfs: Record<string, string>): OciMount[] {
  return Object.entries(tmpfs).map(([destination, data]) => ({
    destination,
    type: 'tmpfs',
    source: 'tmpfs',
    options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...data.split(',')]),
  }));
}

/** The bind mounts of the container's own files: /etc/hostname, /etc/hosts, /etc/resolv.conf, /dev/shm. */
function containerFileMounts(files: ContainerFiles, readonly: boolean): OciMount[] {
  const bind = (source: string | undefined, destination: string, writable = !readonly): OciMount[] =>
    source
      ? [{ destination, type: 'bind', source, options: ['rbind', ...(writable ? [] : ['ro']), 'rprivate'] }]
      : [];
  return [
    ...bind(files.resolvConfPath, '/etc/resolv.conf'),
    ...bind(files.hostnamePath, '/etc/hostname'),
    ...bind(files.hostsPath, '/etc/hosts'),
    ...bind(files.shmPath, '/dev/shm', true),
  ];
}

const depth = (path: string): number => path.split('/').filter(Boolean).length;

/**
 * All mounts of a container, in dockerd's order: the defaults that no other
 * mount replaces (everything under /dev goes when /dev itself is mounted;
 * /dev/shm goes with `--ipc none` and is sized by `--shm-size`), the init
 * binary (given only when the container runs it), then the container's files, tmpfs mounts and the caller's mounts,
 * parents before children. `--read-only` makes the defaults and the
 * container's files read-only too, except the kernel filesystems under /dev
 * and /proc; `--privileged` makes /sys and the cgroup mount writable.
 */
export function buildMounts(
  container: ContainerRequest,
  files: ContainerFiles,
  initPath?: string,
): OciMount[] {
  const readonly = container.readonlyRootfs === true;
  const own = [
    ...containerFileMounts(files, readonly),
    ...tmpfsMounts(container.tmpfs ?? {}),
    ...(container.mounts ?? []),
  ];
  const ownPaths = new Set(own.map((mount) => mount.destination));
  const userPaths = new Set([
    ...Object.keys(container.tmpfs ?? {}),
    ...(container.mounts ?? []).map((m) => m.destination),
  ]);
  const shmSize = container.shmSize || DEFAULT_SHM_SIZE;
  const defaults = defaultMounts()
    .filter((mount) => !ownPaths.has(mount.destination))
    .filter((mount) => !(ownPaths.has('/dev') && mount.destination.startsWith('/dev/')))
    .filter((mount) => !(mount.destination === '/dev/shm' && container.ipc === 'none'))
    // Only the IPC namespace's owner may mount mqueue: a user namespace in the host's gets none
    // (mq_open still works; only the listing file system is missing).
    .filter((mount) => !(mount.type === 'mqueue' && container.userns && container.ipc === 'host'))
    .map((mount) =>
      mount.destination === '/dev/shm'
        ? { ...mount, options: [...(mount.options ?? []), `size=${shmSize}`] }
        : mount,
    );
  const init: OciMount[] = initPath
    ? [{ destination: CONTAINER_INIT_PATH, type: 'bind', source: initPath, options: ['bind', 'ro'] }]
    : [];
  const sorted = [...own].sort((a, b) => depth(a.destination) - depth(b.destination));
  return [...defaults, ...init, ...sorted].map((mount) => adjust(mount, container, readonly, userPaths));
}

function adjust(
  mount: OciMount,
  container: ContainerRequest,
  readonly: boolean,
  userPaths: Set<string>,
): OciMount {
  const options = mount.options ?? [];
  // sysfs can only be mounted by the user namespace that owns the network namespace; a new user
  // namespace joining a network namespace it does not own gets the host's /sys bound read-only
  // instead, as podman does.
  if (
    mount.type === 'sysfs' &&
    container.userns &&
    !container.userns.path &&
    typeof container.network === 'object'
  ) {
    return { destination: mount.destination, type: 'bind', source: '/sys', options: ['rbind', ...options] };
  }
  const writableForPrivileged =
    container.privileged && (mount.destination === '/sys' || mount.type === 'cgroup');
  // Inside a user namespace the cgroup mount cannot be remounted read-only (dockerd clears it too).
  if (writableForPrivileged || (container.userns && mount.type === 'cgroup')) {
    return { ...mount, options: options.filter((o) => o !== 'ro') };
  }
  const makeReadonly =
    readonly &&
    !KEEP_WRITABLE.has(mount.destination) &&
    !userPaths.has(mount.destination) &&
    !options.includes('ro');
  return makeReadonly ? { ...mount, options: [...options, 'ro'] } : mount;
}
