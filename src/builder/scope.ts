import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode } from '../core/errors.js';

const MAX_LINKS = 40;

/**
 * Resolves `path` inside `root` as a process chrooted there would: symlinks
 * are followed, but an absolute target or a `..` never leaves `root` (as
 * moby's FollowSymlinkInScope). The last component is followed only when
 * `followLast` is set. Returns the path relative to root ('' for root).
 */
export async function resolveInScope(root: string, path: string, followLast = true): Promise<string> {
  let pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const rel = [...resolved, part].join('/');
    const isLast = pending.length === 0;
    let target: string | undefined;
    if (!isLast || followLast) {
      try {
        const stats = await lstat(`${root}/${rel}`);
        if (stats.isSymbolicLink()) target = await readlink(`${root}/${rel}`);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
      }
    }
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many links resolving ${path}`);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/').filter(Boolean), ...pending];
  }
  return resolved.join('/');
}
