import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { CAPABILITY_XATTR, getXattr, OVERLAY_OPAQUE_XATTR } from './xattr.js';

/*
 * Test support: a comparable description of a directory tree, one line per
 * entry, so two trees (e.g. before and after a round trip) can be compared
 * with deepEqual. Hard links are described by the first path of their inode.
 */

/** Every entry under `root` (not the root itself), by relative path. */
export async function listTree(root: string): Promise<Map<string, string>> {
  const listing = new Map<string, string>();
  const firstPathOfInode = new Map<number, string>();
  const visit = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir === '' ? root : `${root}/${dir}`)).sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      listing.set(rel, await describe(`${root}/${rel}`, rel, firstPathOfInode));
      if ((await lstat(`${root}/${rel}`)).isDirectory()) await visit(rel);
    }
  };
  await visit('');
  return listing;
}

async function describe(abs: string, rel: string, firstPathOfInode: Map<number, string>): Promise<string> {
  const stats = await lstat(abs);
  const common = `${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid} mtime=${Math.floor(stats.mtimeMs / 1000)}`;
  const capability = (await getXattr(abs, CAPABILITY_XATTR))?.toString('hex') ?? '-';
  const opaque = String((await getXattr(abs, OVERLAY_OPAQUE_XATTR)) ?? '-');
  if (stats.isDirectory()) return `dir ${common} opaque=${opaque}`;
  if (stats.isSymbolicLink()) return `symlink ${common} -> ${await readlink(abs)}`;
  if (stats.isFIFO()) return `fifo ${common}`;
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return `device ${common} rdev=${stats.rdev}`;
  const first = firstPathOfInode.get(stats.ino) ?? rel;
  firstPathOfInode.set(stats.ino, first);
  const digest = createHash('sha256')
    .update(await readFile(abs))
    .digest('hex');
  return `file ${common} size=${stats.size} nlink=${stats.nlink} inode-of=${first} sha=${digest} cap=${capability}`;
}
