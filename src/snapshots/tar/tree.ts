import type { Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CAPABILITY_XATTR, getXattr } from '../xattr.js';
import type { TarHeader } from './format.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from './writer.js';

const READ_CHUNK = 256 * 1024;

/**
 * A tar of the tree at `source` (a directory, file, symlink or device; a
 * symlink is archived as a link, never followed), its entries named from
 * `name` ("etc", "etc/passwd"; '' names a directory's children without a
 * prefix, as `docker export` does). Directories come before their children,
 * names in byte order; hard links within the tree stay links; sockets are
 * skipped, as Go's archive/tar writer in dockerd does.
 */
export function tarTree(source: string, name: string): Readable {
  return Readable.from(chunks(source, name), { objectMode: false });
}

async function* chunks(source: string, name: string): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  yield* entry(source, name, await lstat(source), links);
  yield END_OF_ARCHIVE;
}

async function* entry(
  abs: string,
  name: string,
  stats: Stats,
  links: Map<string, string>,
): AsyncGenerator<Buffer> {
  const header = await headerFor(abs, name, stats, links);
  if (header && name !== '') {
    yield* encodeEntry(header);
    if (header.type === 'file' && header.size > 0) yield* fileBody(abs, header.size);
  }
  if (!stats.isDirectory()) return;
  const children = (await readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const child of children) {
    const childAbs = `${abs}/${child}`;
    const childStats = await lstat(childAbs).catch(() => undefined);
    if (childStats) yield* entry(childAbs, name === '' ? child : `${name}/${child}`, childStats, links);
  }
}

async function headerFor(
  abs: string,
  name: string,
  stats: Stats,
  links: Map<string, string>,
): Promise<TarHeader | undefined> {
  const base: TarHeader = {
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
  if (stats.isDirectory()) return { ...base, name: `${name}/`, type: 'directory' };
  if (stats.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await readlink(abs) };
  if (stats.isFIFO()) return { ...base, type: 'fifo' };
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const rdev = BigInt(stats.rdev);
    return {
      ...base,
      type: stats.isCharacterDevice() ? 'char' : 'block',
      devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
      devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
    };
  }
  if (!stats.isFile()) return undefined;
  if (stats.nlink > 1) {
    const inode = `${stats.dev}:${stats.ino}`;
    const first = links.get(inode);
    if (first !== undefined) return { ...base, type: 'link', linkname: first };
    links.set(inode, name);
  }
  const capability = await getXattr(abs, CAPABILITY_XATTR);
  return {
    ...base,
    size: stats.size,
    xattrs: capability ? new Map([[CAPABILITY_XATTR, capability]]) : new Map(),
  };
}

async function* fileBody(abs: string, size: number): AsyncGenerator<Buffer> {
  const file = await open(abs, 'r');
  try {
    let offset = 0;
    while (offset < size) {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(Math.min(READ_CHUNK, size - offset)), 0);
      if (bytesRead === 0) break;
      offset += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
    // A file that shrank while read (a running container writes to it) is padded to its header's size.
    if (offset < size) yield Buffer.alloc(size - offset);
  } finally {
    await file.close();
  }
  yield bodyPadding(size);
}
