import type { Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { IdMap } from '../../core/id-map.js';
import { headerOfPath } from './fs-header.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from './writer.js';

const READ_CHUNK = 256 * 1024;

/**
 * A tar of the tree at `source` (a directory, file, symlink or device; a
 * symlink is archived as a link, never followed), its entries named from
 * `name` ("etc", "etc/passwd"; '' names a directory's children without a
 * prefix, as `docker export` does). Directories come before their children,
 * names in byte order; hard links within the tree stay links; sockets are
 * skipped, as Go's archive/tar writer in dockerd does. With `idMap` (a
 * remapped container's root) owners are written as the container sees them.
 */
export function tarTree(source: string, name: string, idMap?: IdMap): Readable {
  return Readable.from(chunks(source, name, idMap), { objectMode: false });
}

async function* chunks(source: string, name: string, idMap: IdMap | undefined): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  yield* entry(source, name, await lstat(source), links, idMap);
  yield END_OF_ARCHIVE;
}

async function* entry(
  abs: string,
  name: string,
  stats: Stats,
  links: Map<string, string>,
  idMap: IdMap | undefined,
): AsyncGenerator<Buffer> {
  const header = await headerOfPath(abs, name, stats, links, { directoryXattrs: false });
  if (header && idMap) Object.assign(header, idMap.seenInContainer(header.uid, header.gid));
  if (header && name !== '') {
    yield* encodeEntry(header);
    if (header.type === 'file' && header.size > 0) yield* fileBody(abs, header.size);
  }
  if (!stats.isDirectory()) return;
  const children = (await readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const child of children) {
    const childAbs = `${abs}/${child}`;
    const childStats = await lstat(childAbs).catch(() => undefined);
    if (childStats)
      yield* entry(childAbs, name === '' ? child : `${name}/${child}`, childStats, links, idMap);
  }
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
