import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  write,
  writeSync,
} from 'node:fs';
import { setAttributeSync } from '@napi-rs/xattr';
import { errnoCode } from '../core/errors.js';

/*
 * Filesystem steps for single tar entries. Each creates its path exclusively
 * (O_EXCL, mkdir, symlink, link all fail on an existing name, and none follows
 * a symlink at the final component); on EEXIST the old entry is removed and
 * the step retried once, which is how a later entry replaces an earlier one.
 *
 * They are synchronous on purpose: each is a handful of system calls of a few
 * microseconds, and as promises every call would be a round trip through
 * libuv's thread pool that costs several times the call itself (a layer of
 * 300 symlinks took 3× GNU tar's time that way). The event loop is held for
 * one entry at a time; the apply loop yields between entries while it reads.
 */

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const CAPABILITY_XATTR = 'security.capability';

/** The metadata a regular file gets from its tar header. */
export interface FileMetadata {
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  xattrs: Iterable<readonly [string, Uint8Array]>;
}

/** Writes a regular file whose body is `data[offset, offset + length)`. */
export function writeBufferedFile(
  abs: string,
  data: Uint8Array,
  offset: number,
  length: number,
  meta: FileMetadata,
): void {
  const fd = openExclusive(abs);
  try {
    writeFully(fd, data, offset, length);
    finishFile(fd, abs, meta);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a regular file while its body streams in. One write is kept in
 * flight on libuv's thread pool while the next chunk is read, decompressed
 * and hashed on this thread, so disk writes and hashing overlap. Chunks must
 * not be reused by their producer once yielded (streams and zlib allocate
 * fresh ones).
 */
export async function writeStreamedFile(
  abs: string,
  body: AsyncIterable<Buffer>,
  meta: FileMetadata,
): Promise<void> {
  const fd = openExclusive(abs);
  let inFlight: Promise<void> | undefined;
  try {
    for await (const chunk of body) {
      await inFlight;
      inFlight = writeFullyAsync(fd, chunk);
    }
    await inFlight;
    finishFile(fd, abs, meta);
  } finally {
    // After a failure, let the write in flight end before its descriptor is closed.
    await inFlight?.catch(() => {});
    closeSync(fd);
  }
}

/** Creates a directory, keeping one that exists; metadata is applied by the caller. */
export function makeDirectory(abs: string): void {
  try {
    mkdirSync(abs);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    if (lstatSync(abs).isDirectory()) return;
    unlinkSync(abs);
    mkdirSync(abs);
  }
}

/** Creates a symlink with its owner, times and xattrs. Its target is stored, never resolved. */
export function makeSymlink(abs: string, target: string, meta: Omit<FileMetadata, 'mode'>): void {
  createExclusive(abs, () => symlinkSync(target, abs));
  lchownSync(abs, meta.uid, meta.gid);
  applyXattrs(abs, meta.xattrs);
  lutimesSync(abs, meta.mtime, meta.mtime);
}

/** Creates a hard link to an existing file of the layer; the inode's metadata is the target's. */
export function makeHardLink(targetAbs: string, abs: string): void {
  createExclusive(abs, () => linkSync(targetAbs, abs));
}

/** Removes whatever is at `abs` (a directory with its contents); a symlink is removed, not followed. */
export function removeEntry(abs: string): void {
  rmSync(abs, { recursive: true, force: true });
}

/**
 * Sets xattrs from the archive. `trusted.*` is skipped: in an overlay layer
 * those are overlayfs's own metadata (opaque, redirect, metacopy) and a layer
 * must not forge them. Like dockerd, only a failure on the capability
 * attribute is fatal; others (e.g. security.selinux on a host without it) are
 * dropped. lsetxattr: a symlink's own attributes, never its target's.
 */
export function applyXattrs(abs: string, xattrs: Iterable<readonly [string, Uint8Array]>): void {
  for (const [name, value] of xattrs) {
    if (name.startsWith('trusted.')) continue;
    try {
      setAttributeSync(abs, name, value);
    } catch (err) {
      if (name === CAPABILITY_XATTR) throw err;
    }
  }
}

function openExclusive(abs: string): number {
  return createExclusive(abs, () => openSync(abs, CREATE_FLAGS, 0o600));
}

function createExclusive<T>(abs: string, create: () => T): T {
  try {
    return create();
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    removeEntry(abs);
    return create();
  }
}

function writeFully(fd: number, data: Uint8Array, offset: number, length: number): void {
  // write may stop short (a signal); a full disk then reports its error on the next call.
  for (let written = 0; written < length; ) {
    written += writeSync(fd, data, offset + written, length - written);
  }
}

async function writeFullyAsync(fd: number, data: Buffer): Promise<void> {
  for (let written = 0; written < data.length; ) {
    written += await writeAsync(fd, data, written, data.length - written);
  }
}

function writeAsync(fd: number, data: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, data, offset, length, null, (err, written) => (err ? reject(err) : resolve(written)));
  });
}

function finishFile(fd: number, abs: string, meta: FileMetadata): void {
  fchownSync(fd, meta.uid, meta.gid);
  // chmod after chown: chown clears setuid/setgid. xattrs after both: chown and writes drop capabilities.
  fchmodSync(fd, meta.mode);
  applyXattrs(abs, meta.xattrs);
  futimesSync(fd, meta.mtime, meta.mtime);
}
