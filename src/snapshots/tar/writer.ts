import { posix } from 'node:path';
import {
  BLOCK_SIZE,
  encodeHeader,
  encodePax,
  octalLimit,
  paddingFor,
  type TarHeader,
  typeflagOf,
} from './format.js';

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK_SIZE);

const XATTR_PREFIX = 'SCHILY.xattr.';

/**
 * The header blocks for one entry: a PAX extended header when a value does
 * not fit ustar (long or non-ASCII names, large ids or sizes, xattrs), then
 * the ustar block. The body, if any, follows with {@link bodyPadding}.
 */
export function encodeEntry(header: TarHeader): Buffer[] {
  const pax = paxRecordsFor(header);
  const ustar = encodeHeader({
    name: fitsUstar(header.name) ? header.name : header.name.slice(0, 99),
    typeflag: typeflagOf(header.type),
    mode: header.mode,
    uid: header.uid <= octalLimit(8) ? header.uid : 0,
    gid: header.gid <= octalLimit(8) ? header.gid : 0,
    size: header.size <= octalLimit(12) ? header.size : 0,
    mtime: Math.floor(header.mtime),
    linkname: fitsUstar(header.linkname) ? header.linkname : header.linkname.slice(0, 99),
    devmajor: header.devmajor,
    devminor: header.devminor,
  });
  if (pax.size === 0) return [ustar];
  const records = encodePax(pax);
  const paxHeader = encodeHeader({
    // Go's archive/tar names PAX headers this way; any name works for readers.
    name: posix.join(posix.dirname(header.name), 'PaxHeaders.0', posix.basename(header.name)).slice(0, 99),
    typeflag: 'x',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
  });
  return [paxHeader, records, bodyPadding(records.length), ustar];
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function bodyPadding(size: number): Buffer {
  return Buffer.alloc(paddingFor(size));
}

function paxRecordsFor(header: TarHeader): Map<string, Buffer> {
  const pax = new Map<string, Buffer>();
  if (!fitsUstar(header.name)) pax.set('path', Buffer.from(header.name));
  if (!fitsUstar(header.linkname)) pax.set('linkpath', Buffer.from(header.linkname));
  if (header.uid > octalLimit(8)) pax.set('uid', Buffer.from(String(header.uid)));
  if (header.gid > octalLimit(8)) pax.set('gid', Buffer.from(String(header.gid)));
  if (header.size > octalLimit(12)) pax.set('size', Buffer.from(String(header.size)));
  for (const [name, value] of [...header.xattrs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    pax.set(XATTR_PREFIX + name, value);
  }
  return pax;
}

/** ustar name fields hold up to 100 bytes; we keep them ASCII so no reader guesses an encoding. */
function fitsUstar(value: string): boolean {
  return value.length <= 100 && /^[\x20-\x7e]*$/.test(value);
}
