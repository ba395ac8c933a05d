import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode, invalidArgument } from '../core/errors.js';

/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS is 40; moby's symlink package allows 255). */
const MAX_LINKS = 255;

/**
 * The host path of `path` in a container whose root filesystem is at
 * `root`, with symlinks followed as the container would see them: an
 * absolute target starts again at `root`, and `..` stops at it. The result
 * never leaves `root` (moby's FollowSymlinkInScope). With `followLast`
 * false a symlink at the last component is kept, not followed. Missing
 * components are kept as written.
 *
 * The answer is as good as the moment it was computed: a running container
 * can change its own tree afterwards, as with dockerd.
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  return root + (await resolveRelative(root, path, followLast));
}

/** {@link resolveInRoot}'s answer as a container path ("/etc/passwd"; "" for the root). */
export async function resolveRelative(root: string, path: string, followLast = true): Promise<string> {
  if (path.includes('\0')) throw invalidArgument('path contains a NUL byte');
  let resolved = '';
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved = resolved === '' ? '' : posix.dirname(resolved) === '/' ? '' : posix.dirname(resolved);
      continue;
    }
    const candidate = `${resolved}/${part}`;
    if (pending.length === 0 && !followLast) {
      resolved = candidate;
      break;
    }
    let isLink = false;
    try {
      isLink = (await lstat(root + candidate)).isSymbolicLink();
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
    }
    if (!isLink) {
      resolved = candidate;
      continue;
    }
    if (++links > MAX_LINKS) throw invalidArgument(`too many links in ${path}`);
    const target = await readlink(root + candidate);
    if (target.startsWith('/')) resolved = '';
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return resolved;
}

/** More than any real /etc/passwd or /etc/group: a bigger file is not read whole. */
const MAX_ACCOUNT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The text of a small regular file of the container (its /etc/passwd,
 * /etc/group), read from the host side with symlinks resolved inside `root`
 * ({@link resolveInRoot}): a link to /etc/shadow reads the container's
 * shadow, never the host's. A missing file, or anything but a regular
 * file (a FIFO would block the daemon), reads as "".
 */
export async function readFileInRoot(root: string, path: string): Promise<string> {
  const hostPath = await resolveInRoot(root, path);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    // The last component is resolved: O_NOFOLLOW refuses a link put there since.
    file = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return '';
    throw err;
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) return '';
    const buffer = Buffer.alloc(Math.min(info.size, MAX_ACCOUNT_FILE_BYTES));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
