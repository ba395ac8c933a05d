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
    'build',
    'build a reference multi-stage Dockerfile, cold and fully cached',
    'cold ≤ 0.5× dockerd’s legacy builder; cached ≤ 1.0×',
    'the builder (issue 10) is not implemented yet',
  ),
];
