import { statfs } from 'node:fs/promises';

/** Below this much free space, a write of any size is likely to have failed with ENOSPC. */
const NEARLY_FULL_BYTES = 1024 * 1024;

/**
 * `<path>: no space left on device` when the filesystem holding `path` is (nearly) out of
 * blocks or inodes, else undefined. For failures whose own error lost the cause: a process
 * in a container that reports a failed write its own way (busybox says "I/O error").
 */
export async function fullDiskNote(path: string): Promise<string | undefined> {
  const st = await statfs(path).catch(() => undefined);
  if (!st) return undefined;
  const full = st.bavail * st.bsize < NEARLY_FULL_BYTES || (st.files > 0 && st.ffree === 0);
  return full ? `${path}: no space left on device` : undefined;
}
