import { chmodSync, lchownSync, lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { errnoCode, invalidArgument, wrap } from '../core/errors.js';
import type { IdMap } from '../core/id-map.js';
import { DigestingCounter, decompressed } from './decompress.js';
import {
  applyXattrs,
  makeDirectory,
  makeHardLink,
  makeSymlink,
  removeEntry,
  writeStreamedFile,
} from './entry-writers.js';
import { FileWriterPool } from './file-writer-pool.js';
import { cleanArchivePath, LayerPaths } from './layer-paths.js';
import { SpecialNodes } from './special-nodes.js';
import type { TarHeader } from './tar/format.js';
import { readTar, type TarEntry } from './tar/reader.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './whiteout.js';
import { OVERLAY_OPAQUE_XATTR, setXattr } from './xattr.js';

/** Options for {@link applyLayer}. */
export interface ApplyOptions {
  /**
   * What whiteouts become. 'overlay' (the default) keeps them as overlayfs
   * whiteouts, for a directory that will be an overlay layer. 'remove' deletes
   * what they hide, for applying a layer onto a copy of its parent's tree.
   */
  whiteouts?: 'overlay' | 'remove';
  /** Stops the apply between entries; the directory is then half-written and should be discarded. */
  signal?: AbortSignal;
  /**
   * false when the caller knows the tar's digest by other means: an
   * uncompressed blob whose content-store digest (checked on ingest) is its
   * DiffID, or bytes the caller hashes as they pass. Hashing is half the
   * cost of unpacking large files. The result then has no diffID.
   */
  hash?: boolean;
  /**
   * A remapped daemon's ID mappings (`userns-remap`): every owner in the tar
   * is a container ID and is written as the host ID it maps to. An owner no
   * range covers fails the apply.
   */
  idMap?: IdMap;
}

/** What applying a layer learned about it. */
export interface AppliedLayer {
  /** `sha256:<hex>` of the uncompressed tar: the layer's DiffID in the image config (unless not hashed). */
  diffID?: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/** Files up to this size are read into memory and written in the background. */
const BUFFERED_FILE_LIMIT = 1024 * 1024;

/**
 * Unpacks a layer (tar; gzip-compressed or not, told by its magic bytes) into
 * `root`, a directory meant as an overlayfs layer: whiteouts become overlay
 * whiteouts (0/0 character devices) and opaque markers become the
 * `trusted.overlay.opaque` xattr. Owners, modes (setuid included), times,
 * xattrs, hard links, devices and fifos are kept.
 *
 * Nothing is ever written outside `root`: an entry that climbs out with
 * `..`, passes through a symlink, or hard-links to a path outside the layer
 * fails the apply with InvalidArgument naming the entry. On failure `root` is
 * left half-written; callers discard it.
 */
export async function applyLayer(
  root: string,
  layer: Readable | AsyncIterable<Buffer>,
  options: ApplyOptions = {},
): Promise<AppliedLayer> {
  const hash = options.hash ?? true;
  const counter = new DigestingCounter(hash);
  const applier = new LayerApplier(root, options.whiteouts ?? 'overlay');
  try {
    for await (const entry of readTar(counter.tap(decompressed(layer)))) {
      options.signal?.throwIfAborted();
      if (options.idMap)
        Object.assign(entry.header, options.idMap.toHost(entry.header.uid, entry.header.gid));
      await applier.apply(entry);
    }
    await applier.finish();
  } finally {
    await applier.close();
  }
  return { ...(hash ? { diffID: await counter.digest() } : {}), size: counter.size };
}

class LayerApplier {
  private readonly writes = new FileWriterPool();
  private readonly specials = new SpecialNodes();
  private readonly paths: LayerPaths;
  /** Directory times are set last, once nothing more is created inside them. */
  private readonly directoryTimes = new Map<string, number>();
  /** In 'remove' mode: paths this layer wrote (and their parents), which an opaque marker keeps. */
  private readonly written = new Set<string>();

  constructor(
    root: string,
    private readonly whiteouts: 'overlay' | 'remove',
  ) {
    this.paths = new LayerPaths(root, {
      pending: (rel) => this.pending(rel),
      settle: (rel) => this.settle(rel),
    });
  }

  async apply(entry: TarEntry): Promise<void> {
    const { header } = entry;
    const rel = this.paths.entryPath(header.name);
    const base = posix.basename(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.applyWhiteout(rel, header);
    if (this.whiteouts === 'remove') this.recordWritten(rel);
    // Awaited only when there is something to wait for: most entries need no wait.
    if (this.pending(rel)) await this.settle(rel);
    if (!this.paths.parentKnown(rel)) await this.paths.ensureParents(rel, header.name);
    if (header.type === 'directory') return this.applyDirectory(rel, header);
    if (rel === '') throw invalidArgument(`layer entry ${header.name} names the root but is not a directory`);
    // A file replacing a directory of this run: wait for writes inside it before removing it.
    if (this.paths.isKnownDirectory(rel)) await this.replace(rel);
    const abs = this.paths.abs(rel);
    switch (header.type) {
      case 'file':
        await this.applyFile(rel, entry);
        return this.paths.rememberFile(rel);
      case 'symlink':
        // symlink(2) refuses an empty target with a bare ENOENT; name the entry instead.
        if (header.linkname === '') throw invalidArgument(`symlink ${header.name} has an empty target`);
        makeSymlink(abs, header.linkname, header);
        return this.paths.rememberFile(rel);
      case 'link':
        await this.applyHardLink(abs, header);
        return this.paths.rememberFile(rel);
      default:
        await this.replace(rel);
        return this.specials.add(specialNode(rel, abs, header));
    }
  }

  /** A hard link to an earlier entry; a target the layer never made is the layer's fault, not ours. */
  private async applyHardLink(abs: string, header: TarHeader): Promise<void> {
    try {
      const target =
        this.paths.knownLinkTarget(header.linkname, header.name) ??
        (await this.paths.linkTarget(header.linkname, header.name));
      makeHardLink(this.paths.abs(target), abs);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'EPERM' && errnoCode(err) !== 'EISDIR') throw err;
      throw invalidArgument(`hard link ${header.name} target ${header.linkname}: not a file of the layer`, {
        cause: err,
      });
    }
  }

  /** Finishes in-flight work, then sets directory times. */
  async finish(): Promise<void> {
    await this.writes.drain();
    await this.specials.flush();
    for (const [rel, mtime] of this.directoryTimes) lutimesSync(this.paths.abs(rel), mtime, mtime);
  }

  /** Lets in-flight writes end (after a failure, none runs on after we return) and stops the workers. */
  async close(): Promise<void> {
    await this.writes.close();
  }

  private async applyFile(rel: string, entry: TarEntry): Promise<void> {
    const { header } = entry;
    const abs = this.paths.abs(rel);
    if (header.size > BUFFERED_FILE_LIMIT) return writeStreamedFile(abs, entry.body(), header);
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body()) chunks.push(chunk);
    await this.writes.add(rel, abs, chunks, header);
  }

  private async applyDirectory(rel: string, header: TarHeader): Promise<void> {
    const abs = this.paths.abs(rel);
    makeDirectory(abs);
    this.paths.rememberDirectory(rel);
    lchownSync(abs, header.uid, header.gid);
    chmodSync(abs, header.mode); // after chown, which clears setgid
    applyXattrs(abs, header.xattrs);
    this.directoryTimes.set(rel, header.mtime);
  }

  /** `.wh..wh..opq` makes its directory opaque; `.wh.NAME` hides NAME of lower layers. */
  private async applyWhiteout(rel: string, header: TarHeader): Promise<void> {
    const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    const base = posix.basename(rel);
    await this.paths.ensureParents(rel, header.name);
    if (base === OPAQUE_WHITEOUT) {
      if (this.whiteouts === 'remove') return this.removeLowerChildren(dir);
      return setXattr(this.paths.abs(dir), OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
    }
    const hidden = cleanArchivePath(
      posix.join(dir, base.slice(WHITEOUT_PREFIX.length)),
      `whiteout ${header.name}`,
    );
    if (hidden === dir || posix.dirname(hidden) !== (dir || '.')) {
      throw invalidArgument(`whiteout ${header.name} does not name an entry of its directory`);
    }
    await this.replace(hidden);
    if (this.whiteouts === 'remove') return;
    const whiteout = { ...header, mode: header.mode & 0o777 };
    await this.specials.add(specialNode(hidden, this.paths.abs(hidden), { ...whiteout, type: 'char' }));
  }

  /** Opaque directory in 'remove' mode: drops every child that this layer did not write. */
  private async removeLowerChildren(dir: string): Promise<void> {
    for (const name of readdirSync(this.paths.abs(dir))) {
      const child = dir === '' ? name : `${dir}/${name}`;
      if (!this.written.has(child)) await this.replace(child);
    }
  }

  private recordWritten(rel: string): void {
    for (let path = rel; path !== '.' && !this.written.has(path); path = posix.dirname(path)) {
      this.written.add(path);
    }
  }

  /** Removes what exists at `rel`, after any in-flight writes that could be under it. */
  private async replace(rel: string): Promise<void> {
    await this.settle(rel);
    if (!lstatSync(this.paths.abs(rel), { throwIfNoEntry: false })) return;
    await this.writes.drain();
    try {
      removeEntry(this.paths.abs(rel));
    } catch (err) {
      throw wrap(err, `failed to replace ${rel}`);
    }
    this.paths.forget(rel);
    for (const dir of this.directoryTimes.keys()) {
      if (dir === rel || dir.startsWith(`${rel}/`)) this.directoryTimes.delete(dir);
    }
  }

  private pending(rel: string): boolean {
    return this.specials.has(rel) || this.writes.isPending(rel);
  }

  private async settle(rel: string): Promise<void> {
    if (this.specials.has(rel)) await this.specials.flush();
    await this.writes.settle(rel);
  }
}

function specialNode(rel: string, abs: string, header: TarHeader) {
  const kind = header.type === 'block' ? 'block' : header.type === 'char' ? 'char' : 'fifo';
  const { uid, gid, mode, mtime, devmajor: major, devminor: minor } = header;
  return { rel, abs, kind, major, minor, uid, gid, mode, mtime } as const;
}
