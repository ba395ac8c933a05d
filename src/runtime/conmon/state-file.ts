import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes a file of the exec root so readers see the old or the new content,
 * never half of it (temp file + rename), without fsync: the exec root holds
 * runtime state (normally on tmpfs) that a machine crash ends anyway, while
 * a daemon crash cannot lose a completed write. Saves milliseconds on every
 * create when the exec root is on a journaling filesystem.
 */
export async function writeStateFile(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
