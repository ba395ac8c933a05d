import type { Workload } from '../workload.js';

/**
 * Workloads whose Berth feature is not built yet. They stay in the report,
 * marked "not yet", so no target disappears silently.
 */
function pending(id: string, title: string, target: string, why: string): Workload {
  return { id, title, target, quick: false, run: async () => ({ notYet: why }) };
}

export const pendingWorkloads: Workload[] = [
  pending(
    'start-50',
    'start 50 detached `sleep` containers: time and memory per container',
    'memory per container ≤ 0.25× dockerd’s shims (containerd-shim 13 MiB, conmon 1.9 MiB measured here)',
    'containers (issue 4) are not implemented yet',
  ),
  pending(
    'ps-100',
    '`ps -a`, `inspect`, `images` with 100 containers',
    '`ps -a` ≤ 1.0× dockerd',
    'containers (issue 4) are not implemented yet',
  ),
  pending(
    'pull-push',
    'pull and push a ~200 MB, 4-layer image through a local registry',
    'pull ≤ 0.7× dockerd and ≤ 1.3× the parallel command-line floor; push ≤ 1.0× dockerd',
    'the registry client (issue 7) is not implemented yet',
  ),
  pending(
    'registry',
    'registry: blob throughput, manifest GET req/s and p99 under 100 connections, RSS',
    'throughput ≥ Distribution 2.8, p99 ≤ Distribution’s, RSS ≤ 150 MB under load; idle with UI ≤ 100 MB',
    'berth-registry (issue 8) is not implemented yet',
  ),
  pending(
    'network-throughput',
    'TCP throughput between two containers on a user network',
    '≥ 0.9× dockerd',
    'networking (issue 6) is not implemented yet',
  ),
];
