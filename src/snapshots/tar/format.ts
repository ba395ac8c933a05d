import { invalidArgument } from '../../core/errors.js';

/**
 * The tar format as image layers use it: ustar headers, GNU long names and
 * PAX extended headers (POSIX.1-2001). PAX values are kept as raw bytes
 * because `SCHILY.xattr.*` values are binary (security.capability).
 */

export const BLOCK_SIZE = 512;

/** Entry kinds, from the typeflag byte. */
export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

/** One archive member, with long names and PAX records already applied. */
export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; may carry a fraction from PAX. */
  mtime: number;
  /** Target of a symlink or, for a hard link, the archive path it links to. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

/** A raw header block as read, before long names and PAX are applied. */
export interface RawHeader extends Omit<TarHeader, 'type' | 'xattrs'> {
  typeflag: string;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};
const TYPEFLAGS: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

/** The entry type for a typeflag, or undefined for meta or unsupported ones. */
export function entryType(typeflag: string): TarEntryType | undefined {
  return TYPES[typeflag];
}

/** True for a block of zeros (the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decodes and checks one 512-byte header block. */
export function decodeHeader(block: Buffer): RawHeader {
  if (!checksumMatches(block))
    throw invalidArgument('invalid tar header checksum: not a tar stream or corrupt');
  // GNU tar reuses the ustar prefix field for other data; only ustar/PAX have a prefix.
  const prefix = hasUstarMagic(block) ? readString(block, 345, 155) : '';
  const name = readString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: readNumber(block, 100, 8),
    uid: readNumber(block, 108, 8),
    gid: readNumber(block, 116, 8),
    size: readNumber(block, 124, 12),
    mtime: readNumber(block, 136, 12),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: readString(block, 157, 100),
    devmajor: readNumber(block, 329, 8),
    devminor: readNumber(block, 337, 8),
  };
}

/*
 * Header fields are read byte by byte: a layer of small entries (hard links,
 * symlinks) is mostly headers, and string conversions and regular
 * expressions per field cost more than the link(2) each entry makes.
 */
function checksumMatches(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8);
  const { sum, high } = byteSums(block);
  // The checksum field counts as eight spaces. Old writers summed signed bytes.
  let unsigned = sum + 8 * 0x20;
  let above127 = high;
  for (let i = 148; i < 156; i++) {
    unsigned -= block[i]!;
    above127 -= block[i]! >> 7;
  }
  return stored === unsigned || stored === unsigned - 256 * above127;
}

/**
 * The sum of a block's bytes and how many are above 127. Four bytes at a
 * time when the block is 4-byte aligned (it nearly always is): the two
 * 16-bit lanes of `pairs` and the four 8-bit lanes of `highs` cannot
 * overflow over 128 words.
 */
function byteSums(block: Buffer): { sum: number; high: number } {
  if (block.byteOffset % 4 !== 0) {
    let sum = 0;
    let high = 0;
    for (let i = 0; i < BLOCK_SIZE; i++) {
      sum += block[i]!;
      high += block[i]! >> 7;
    }
    return { sum, high };
  }
  const words = new Uint32Array(block.buffer, block.byteOffset, BLOCK_SIZE / 4);
  let pairs = 0;
  let highs = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    pairs += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
    highs += (word >>> 7) & 0x01010101;
  }
  return {
    sum: (pairs % 0x10000) + Math.floor(pairs / 0x10000),
    high: (highs & 0xff) + ((highs >>> 8) & 0xff) + ((highs >>> 16) & 0xff) + (highs >>> 24),
  };
}

const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');

function hasUstarMagic(block: Buffer): boolean {
  for (let i = 0; i < USTAR_MAGIC.length; i++) if (block[257 + i] !== USTAR_MAGIC[i]) return false;
  return true;
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** Octal text, or GNU base-256 when the high bit of the first byte is set. */
function readNumber(block: Buffer, offset: number, length: number): number {
  const end = offset + length;
  const first = block[offset]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = offset + 1; i < end; i++) value = value * 256 + block[i]!;
    return value;
  }
  // Old writers pad with leading spaces or NULs and end with a space or NUL.
  let i = offset;
  while (i < end && (block[i] === 0 || block[i] === 0x20)) i++;
  let value = 0;
  for (; i < end; i++) {
    const digit = block[i]! - 0x30;
    if (digit < 0 || digit > 7) break;
    value = value * 8 + digit;
  }
  return value;
}

/** Parses PAX records (`"<len> <key>=<value>\n"`), keeping values as bytes. */
export function decodePax(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number.parseInt(data.toString('latin1', offset, space), 10);
    if (space === -1 || !(length > 0) || offset + length > data.length) {
      throw invalidArgument('invalid PAX extended header record');
    }
    const record = data.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) throw invalidArgument('invalid PAX extended header record');
    records.set(record.toString('utf8', 0, equals), record.subarray(equals + 1));
    offset += length;
  }
  return records;
}

/** Encodes PAX records; each length prefix counts itself. */
export function encodePax(records: ReadonlyMap<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const body = Buffer.byteLength(key) + value.length + 3; // space, '=', newline
    let length = body + String(body).length;
    if (String(length).length !== String(body).length) length = body + String(length).length;
    parts.push(Buffer.from(`${length} ${key}=`), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Encodes a ustar header block; `typeflag` may be a meta type such as 'x'. Values that do not fit must go in PAX records first. */
export function encodeHeader(fields: RawHeader): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, Math.floor(fields.mtime));
  block.write(fields.typeflag, 156, 1, 'latin1');
  block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, fields.devmajor);
  writeOctal(block, 337, 8, fields.devminor);
  block.write('        ', 148, 8, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  writeOctal(block, 148, 8, sum);
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

/** Largest value an octal field of `length` bytes holds. */
export function octalLimit(length: number): number {
  return 8 ** (length - 1) - 1;
}

/** The typeflag character of an entry type. */
export function typeflagOf(type: TarEntryType): string {
  return TYPEFLAGS[type];
}

/** Bytes of zero padding after a body of `size` bytes. */
export function paddingFor(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}
