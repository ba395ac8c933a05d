import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode } from './errors.js';

/**
 * Resolves `path` inside `root` as the container would see it: every
 * symlink on the way is followed relative to `root`, never out of it (an
 * absolute link or `..` stops at `root`). Components that do not exist are
 * kept as they are. Like moby's securejoin, for reading image content from
 * the host side without following a hostile link out of the rootfs.
 */
export async function secureJoin(root: string, path: string): Promise<string> {
  const pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = posix.join(root, ...resolved, part);
    const info = await lstat(host).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!info?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > 255) throw new Error(`too many levels of symbolic links in ${path}`);
    const target = await readlink(host);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...resolved);
}
