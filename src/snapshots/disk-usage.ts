import { lstat, readdir } from 'node:fs/promises';
import type { SnapshotUsage } from './snapshotter.js';

/**
 * Disk usage of a directory tree, as containerd counts it: each inode once
 * (hard links are not counted twice), the directory itself included, size
 * in bytes of allocated 512-byte blocks.
 */
export async function diskUsage(root: string): Promise<SnapshotUsage> {
  const seen = new Set<string>();
  let size = 0;
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    const inode = `${stats.dev}:${stats.ino}`;
    if (!seen.has(inode)) {
      seen.add(inode);
      size += stats.blocks * 512;
    }
    if (!stats.isDirectory()) return;
    for (const name of await readdir(path)) await visit(`${path}/${name}`);
  };
  await visit(root);
  return { inodes: seen.size, size };
}
