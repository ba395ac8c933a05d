import { constants } from 'node:fs';
import {
  type FileHandle,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  rm,
  symlink,
  unlink,
} from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';
import type { TarHeader } from './tar/format.js';
import { CAPABILITY_XATTR, setXattr } from './xattr.js';

/*
 * Filesystem steps for single tar entries. Each creates its path exclusively
 * (O_EXCL, mkdir, symlink, link all fail on an existing name, and none follows
 * a symlink at the final component); on EEXIST the old entry is removed and
 * the step retried once, which is how a later entry replaces an earlier one.
 */

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes a regular file whose whole body is in memory. */
export async function writeBufferedFile(abs: string, chunks: Buffer[], header: TarHeader): Promise<void> {
  const file = await createExclusive(abs, () => open(abs, CREATE_FLAGS, 0o600));
  try {
    await writeAll(file, chunks);
    await finishFile(file, abs, header);
  } finally {
    await file.close();
  }
}

/** Writes a regular file while its body streams in. */
export async function writeStreamedFile(abs: string, body: AsyncIterable<Buffer>, header: TarHeader) {
  const file = await createExclusive(abs, () => open(abs, CREATE_FLAGS, 0o600));
  try {
    for await (const chunk of body) await writeAll(file, [chunk]);
    await finishFile(file, abs, header);
  } finally {
    await file.close();
  }
}

/** Creates a directory, keeping one that exists; metadata is applied by the caller. */
export async function makeDirectory(abs: string): Promise<void> {
  try {
    await mkdir(abs);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    if ((await lstat(abs)).isDirectory()) return;
    await unlink(abs);
    await mkdir(abs);
  }
}

/** Creates a symlink with its owner, times and xattrs. Its target is stored, never resolved. */
export async function makeSymlink(abs: string, header: TarHeader): Promise<void> {
  await createExclusive(abs, () => symlink(header.linkname, abs));
  await lchown(abs, header.uid, header.gid);
  await applyXattrs(abs, header.xattrs);
  await lutimes(abs, header.mtime, header.mtime);
}

/** Creates a hard link to an existing file of the layer; the inode's metadata is the target's. */
export async function makeHardLink(targetAbs: string, abs: string): Promise<void> {
  await createExclusive(abs, () => link(targetAbs, abs));
}

/** Removes whatever is at `abs` (a directory with its contents); a symlink is removed, not followed. */
export async function removeEntry(abs: string): Promise<void> {
  await rm(abs, { recursive: true, force: true });
}

/**
 * Sets xattrs from the archive. `trusted.*` is skipped: in an overlay layer
 * those are overlayfs's own metadata (opaque, redirect, metacopy) and a layer
 * must not forge them. Like dockerd, only a failure on the capability
 * attribute is fatal; others (e.g. security.selinux on a host without it) are
 * dropped.
 */
export async function applyXattrs(abs: string, xattrs: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [name, value] of xattrs) {
    if (name.startsWith('trusted.')) continue;
    try {
      await setXattr(abs, name, value);
    } catch (err) {
      if (name === CAPABILITY_XATTR) throw err;
    }
  }
}

async function createExclusive<T>(abs: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    await removeEntry(abs);
    return await create();
  }
}

async function writeAll(file: FileHandle, chunks: Buffer[]): Promise<void> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (total === 0) return;
  let written = (await file.writev(chunks)).bytesWritten;
  if (written === total) return;
  // writev may stop short (a signal, a full disk); finish with plain writes, which then report the error.
  const all = Buffer.concat(chunks);
  while (written < total) written += (await file.write(all, written, total - written)).bytesWritten;
}

async function finishFile(file: FileHandle, abs: string, header: TarHeader): Promise<void> {
  await file.chown(header.uid, header.gid);
  // chmod after chown: chown clears setuid/setgid. xattrs after both: chown and writes drop capabilities.
  await file.chmod(header.mode);
  await applyXattrs(abs, header.xattrs);
  await file.utimes(header.mtime, header.mtime);
}
