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
    'build',
    'build a reference multi-stage Dockerfile, cold and fully cached',
    'cold ≤ 0.5× dockerd’s legacy builder; cached ≤ 1.0×',
    'the builder (issue 10) is not implemented yet',
  ),
];
