import type { Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { conflict } from '../core/errors.js';
import type { IdMap } from '../core/id-map.js';
import type { TarHeader } from './tar/format.js';
import { baseHeader, headerOfPath } from './tar/fs-header.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from './tar/writer.js';
import { isOverlayWhiteout, OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './whiteout.js';
import { getXattr, OVERLAY_OPAQUE_XATTR } from './xattr.js';

/** Options for {@link diffUpper}. */
export interface DiffOptions {
  /**
   * The layers below the upper directory, topmost first. When given, a
   * whiteout that hides nothing in any of them is left out of the layer.
   */
  lowerDirs?: readonly string[];
  /** Stops reading between entries; the stream then errors. */
  signal?: AbortSignal;
  /** A remapped daemon's ID mappings: host owners are written as the container IDs they stand for. */
  idMap?: IdMap;
}

const READ_CHUNK = 256 * 1024;

/**
 * The layer tar for an overlayfs upper directory: its changes against the
 * layers below. Whiteout devices become `.wh.NAME` entries and opaque
 * directories get a `.wh..wh..opq` entry. Owners, modes, whole-second mtimes,
 * hard links (within the upper), symlinks, devices, fifos and
 * security.capability are kept; sockets are skipped, as Docker does. Entries
 * come depth-first in byte order of names, so equal trees give equal tars.
 */
export function diffUpper(upperDir: string, options: DiffOptions = {}): Readable {
  return Readable.from(layerChunks(upperDir, options), { objectMode: false });
}

async function* layerChunks(upperDir: string, options: DiffOptions): AsyncGenerator<Buffer> {
  const hardLinks = new Map<string, string>();
  for await (const [rel, stats] of walk(upperDir, '')) {
    options.signal?.throwIfAborted();
    const abs = `${upperDir}/${rel}`;
    if (isOverlayWhiteout(stats)) {
      if (await hidesNothing(rel, options.lowerDirs)) continue;
      yield* encodeEntry(markerHeader(whiteoutName(rel), stats, options.idMap));
      continue;
    }
    const header = await headerOfPath(abs, rel, stats, hardLinks, { directoryXattrs: true });
    if (!header) continue;
    if (options.idMap) Object.assign(header, options.idMap.toContainer(header.uid, header.gid));
    yield* encodeEntry(header);
    if (header.type === 'file' && header.size > 0) yield* fileBody(abs, header.size);
    if (stats.isDirectory() && String(await getXattr(abs, OVERLAY_OPAQUE_XATTR)) === 'y') {
      yield* encodeEntry(markerHeader(`${rel}/${OPAQUE_WHITEOUT}`, stats, options.idMap));
    }
  }
  yield END_OF_ARCHIVE;
}

/** Depth-first, parents before children, names in byte order. */
async function* walk(root: string, dir: string): AsyncGenerator<[string, Stats]> {
  const names = (await readdir(dir === '' ? root : `${root}/${dir}`)).sort(compareBytes);
  for (const name of names) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    const stats = await lstat(`${root}/${rel}`);
    yield [rel, stats];
    if (stats.isDirectory()) yield* walk(root, rel);
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** An empty regular file standing for a whiteout, with its owner and permission bits. */
/** Whiteouts and opaque markers: their owner means nothing, and a remapped one is written as root. */
function markerHeader(name: string, stats: Stats, idMap?: IdMap): TarHeader {
  const header = { ...baseHeader(name, stats), mode: stats.mode & 0o777 };
  return idMap ? { ...header, uid: 0, gid: 0 } : header;
}

function whiteoutName(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
}

async function hidesNothing(rel: string, lowerDirs: readonly string[] | undefined): Promise<boolean> {
  if (!lowerDirs) return false;
  for (const lower of lowerDirs) {
    if (
      await lstat(`${lower}/${rel}`).then(
        () => true,
        () => false,
      )
    ) {
      return false;
    }
  }
  return true;
}

async function* fileBody(abs: string, size: number): AsyncGenerator<Buffer> {
  const file = await open(abs, 'r');
  try {
    for (let offset = 0; offset < size; ) {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(Math.min(READ_CHUNK, size - offset)), 0);
      if (bytesRead === 0) throw conflict(`${abs} shrank while it was archived`);
      offset += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
  yield bodyPadding(size);
}
