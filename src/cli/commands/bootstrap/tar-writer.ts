/**
 * A small ustar writer for rootfs archives built on the client: directories,
 * regular files (streamed from disk or given as bytes), hard links and
 * symlinks, with numeric owners and fixed mtimes so the same input gives the
 * same bytes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

const BLOCK = 512;

/** One archive member. Paths are relative, without a leading "/" or "./". */
export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly content: Buffer }
  | {
      readonly type: 'disk-file';
      readonly path: string;
      readonly mode: number;
      readonly source: string;
      readonly size: number;
    }
  | {
      readonly type: 'hardlink';
      readonly path: string;
      readonly target: string;
      /** The target's mode: extractors (moby's among them) chmod the link, and so the shared inode. */
      readonly mode: number;
    }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

/** Owner and time given to every entry. */
export interface TarDefaults {
  readonly uid: number;
  readonly gid: number;
  /** Unix seconds. */
  readonly mtime: number;
}

const TYPE_FLAGS = { dir: '5', file: '0', 'disk-file': '0', hardlink: '1', symlink: '2' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** Splits a long path into ustar's prefix and name fields. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`path too long for a ustar archive: ${path}`);
}

function entrySize(entry: TarEntry): number {
  if (entry.type === 'file') return entry.content.length;
  return entry.type === 'disk-file' ? entry.size : 0;
}

/** The 512-byte ustar header of an entry. */
export function tarHeader(entry: TarEntry, defaults: TarDefaults): Buffer {
  const header = Buffer.alloc(BLOCK);
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { prefix, name } = splitPath(path);
  const mode = 'mode' in entry ? entry.mode : 0o777;
  header.write(name, 0, 100);
  header.write(octal(mode, 8), 100);
  header.write(octal(defaults.uid, 8), 108);
  header.write(octal(defaults.gid, 8), 116);
  header.write(octal(entrySize(entry), 12), 124);
  header.write(octal(defaults.mtime, 12), 136);
  header.write(' '.repeat(8), 148);
  header.write(TYPE_FLAGS[entry.type], 156);
  if (entry.type === 'hardlink' || entry.type === 'symlink') header.write(entry.target, 157, 100);
  header.write('ustar\u000000', 257);
  header.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

async function* archiveChunks(entries: Iterable<TarEntry>, defaults: TarDefaults): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield tarHeader(entry, defaults);
    if (entry.type === 'file') {
      yield entry.content;
      yield padding(entry.content.length);
    } else if (entry.type === 'disk-file') {
      let written = 0;
      for await (const chunk of createReadStream(entry.source)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== entry.size) throw new Error(`${entry.source} changed size while it was archived`);
      yield padding(entry.size);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** Streams the entries as a tar archive. */
export function tarStream(entries: Iterable<TarEntry>, defaults: TarDefaults): Readable {
  return Readable.from(archiveChunks(entries, defaults), { objectMode: false });
}
