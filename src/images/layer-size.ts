import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A layer's size as dockerd's overlay2 driver reports it (its
 * `directory.Size`): the apparent sizes of everything in the layer directory
 * that is not a directory (files, symlinks' targets), each inode once, so
 * hard links count one time. This is the number `docker images` and
 * `docker history` add up.
 */
export async function layerDirectorySize(root: string): Promise<number> {
  const seen = new Set<bigint>();
  let size = 0;
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const subdirs: string[] = [];
    const stats = await Promise.all(
      entries.map((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          subdirs.push(path);
          return undefined;
        }
        return lstat(path, { bigint: true });
      }),
    );
    for (const stat of stats) {
      if (!stat || stat.size === 0n || seen.has(stat.ino)) continue;
      seen.add(stat.ino);
      size += Number(stat.size);
    }
    for (const subdir of subdirs) await visit(subdir);
  };
  await visit(root);
  return size;
}
