import type { Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { CAPABILITY_XATTR, getXattr } from '../xattr.js';
import type { TarHeader } from './format.js';

/** A regular-file header with the owner, permission bits and whole-second mtime of `stats`. */
export function baseHeader(name: string, stats: Stats): TarHeader {
  return {
    name,
    type: 'file',
    mode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
    size: 0,
    mtime: Math.floor(stats.mtimeMs / 1000),
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/**
 * The tar header of the file at `abs` as the entry `name`; undefined for a socket (Docker
 * skips them). A second name of an inode seen before in `hardLinks` becomes a hard link.
 * Files keep security.capability, directories too with `directoryXattrs`.
 */
export async function headerOfPath(
  abs: string,
  name: string,
  stats: Stats,
  hardLinks: Map<string, string>,
  options: { directoryXattrs: boolean },
): Promise<TarHeader | undefined> {
  const header = baseHeader(name, stats);
  if (stats.isDirectory()) {
    const directory = { ...header, name: `${name}/`, type: 'directory' as const };
    return options.directoryXattrs ? { ...directory, xattrs: await xattrsOf(abs) } : directory;
  }
  if (stats.isSymbolicLink()) return { ...header, type: 'symlink', linkname: await readlink(abs) };
  if (stats.isFIFO()) return { ...header, type: 'fifo' };
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const type = stats.isCharacterDevice() ? 'char' : 'block';
    return { ...header, type, devmajor: major(stats.rdev), devminor: minor(stats.rdev) };
  }
  if (!stats.isFile()) return undefined;
  if (stats.nlink > 1) {
    const inode = `${stats.dev}:${stats.ino}`;
    const first = hardLinks.get(inode);
    if (first !== undefined) return { ...header, type: 'link', linkname: first };
    hardLinks.set(inode, name);
  }
  return { ...header, type: 'file', size: stats.size, xattrs: await xattrsOf(abs) };
}

/** The extended attributes a layer keeps: security.capability only, as Docker. */
async function xattrsOf(abs: string): Promise<Map<string, Buffer>> {
  const capability = await getXattr(abs, CAPABILITY_XATTR);
  return capability ? new Map([[CAPABILITY_XATTR, capability]]) : new Map();
}

/** Linux's dev_t split (glibc's gnu_dev_major / gnu_dev_minor). */
function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}
