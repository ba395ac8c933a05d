import { invalidArgument } from '../../core/errors.js';
import type { OciNamespace, OciNamespaceType } from './oci.js';
import type { ContainerRequest, NamespaceMode } from './request.js';

/** The namespaces a container gets, and the facts other parts of the spec depend on. */
export interface NamespaceChoice {
  namespaces: OciNamespace[];
  /** True when the container has a network namespace of its own (new, or made for it). */
  privateNetwork: boolean;
  /** True when the container shares the host's network namespace. */
  hostNetwork: boolean;
  /** True when the container shares the host's UTS namespace (then it gets no hostname). */
  hostUts: boolean;
  hostIpc: boolean;
}

function fromMode(type: OciNamespaceType, mode: NamespaceMode | undefined): OciNamespace[] {
  if (mode === 'host') return [];
  if (mode === undefined || mode === 'private') return [{ type }];
  return [{ type, path: mode.path }];
}

/**
 * Docker's `WithNamespaces`: mount always; pid, network, ipc and uts
 * private unless `host` or a path to join; cgroup private by default on
 * cgroup v2 only (Docker's default-cgroupns-mode); user when the request
 * carries ID mappings. `shareable` and `none` IPC are private namespaces.
 */
export function chooseNamespaces(
  container: ContainerRequest,
  defaultCgroupns: 'private' | 'host',
): NamespaceChoice {
  const ipc = container.ipc === 'shareable' || container.ipc === 'none' ? 'private' : container.ipc;
  const cgroupns = container.cgroupns ?? defaultCgroupns;
  const namespaces: OciNamespace[] = [
    { type: 'mount' },
    ...fromMode('network', container.network),
    ...fromMode('uts', container.uts),
    ...fromMode('pid', container.pid),
    ...fromMode('ipc', ipc),
    ...(cgroupns === 'private' ? [{ type: 'cgroup' as const }] : []),
    ...(container.userns
      ? [{ type: 'user' as const, ...(container.userns.path ? { path: container.userns.path } : {}) }]
      : []),
  ];
  return {
    namespaces,
    privateNetwork:
      container.network === undefined ||
      container.network === 'private' ||
      (typeof container.network === 'object' && container.network.own === true),
    hostNetwork: container.network === 'host',
    hostUts: container.uts === 'host',
    hostIpc: ipc === 'host',
  };
}

/** Sysctls namespaced by IPC (Docker's validation list). */
export const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * The container's sysctls: Docker's defaults for a private network
 * namespace (unprivileged ping for every group, no privileged ports), then
 * the request's, which must be namespaced ones (IPC or network) and not in
 * a namespace shared with the host. Docker's defaults go only to a namespace
 * of the container's own, not to one joined from another container.
 */
export function chooseSysctls(
  requested: Record<string, string>,
  choice: NamespaceChoice,
  userns: boolean,
): Record<string, string> {
  const sysctls: Record<string, string> = {};
  if (choice.privateNetwork) {
    // Ping sockets cannot be enabled from inside a user namespace.
    if (!userns) sysctls['net.ipv4.ping_group_range'] = '0 2147483647';
    sysctls['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  for (const [key, value] of Object.entries(requested)) {
    const ipc = IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
    if (ipc && choice.hostIpc) throw invalidArgument(`sysctl '${key}' not allowed with IpcMode host`);
    // Another container's namespace may be tuned (runc refuses only the host's), as with Docker.
    if (key.startsWith('net.') && choice.hostNetwork) {
      throw invalidArgument(`sysctl '${key}' not allowed in host network namespace`);
    }
    if (!ipc && !key.startsWith('net.')) throw invalidArgument(`sysctl '${key}' is not allowed`);
    sysctls[key] = value;
  }
  return sysctls;
}
