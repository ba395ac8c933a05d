/** Temp files of whole-file writes (core/fs-atomic) that a crash cut short, under berthd's roots. */
import { atomicLeftovers } from '../core/fs-atomic.js';

/** Directories under the data root holding layer, volume or build files: their names are not ours. */
export const DATA_NOT_OURS = /^(overlay2\/snapshots|volumes\/[^/]+\/_data|builder)$/;
/** Mounted container root filesystems under the exec root. */
const EXEC_NOT_OURS = /^(rootfs|containers\/[^/]+\/rootfs)$/;

/** Finds (with `remove`, deletes) the leftovers; paths relative to their root. */
export async function interruptedWrites(
  roots: { dataRoot: string; execRoot?: string },
  remove = false,
): Promise<string[]> {
  return [
    ...(await atomicLeftovers(roots.dataRoot, { remove, skip: DATA_NOT_OURS })),
    ...(roots.execRoot ? await atomicLeftovers(roots.execRoot, { remove, skip: EXEC_NOT_OURS }) : []),
  ];
}
