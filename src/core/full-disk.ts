import { statfs } from 'node:fs/promises';

/** Below this much free space, a write of any size is likely to have failed with ENOSPC. */
const NEARLY_FULL_BYTES = 1024 * 1024;

/**
 * `<path>: no space left on device` when the filesystem holding `path` has less than
 * `minFreeBytes` free (default 1 MiB) or no free inodes, else undefined. For failures whose
 * own error lost the cause: a process in a container that reports a failed write its own way
 * (busybox says "I/O error"), runc's "unable to store init state", a write without a path.
 */
export async function fullDiskNote(
  path: string,
  minFreeBytes = NEARLY_FULL_BYTES,
): Promise<string | undefined> {
  const st = await statfs(path).catch(() => undefined);
  if (!st) return undefined;
  const free = st.bavail * st.bsize;
  if (st.files > 0 && st.ffree === 0) return `${path}: no space left on device (no free inodes)`;
  if (free >= minFreeBytes) return undefined;
  const needed = minFreeBytes === NEARLY_FULL_BYTES ? '' : `, ${Math.ceil(minFreeBytes / 1024)} KiB needed`;
  return `${path}: no space left on device (${Math.floor(free / 1024)} KiB free${needed})`;
}
