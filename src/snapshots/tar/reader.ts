import { invalidArgument } from '../../core/errors.js';
import { ByteSource } from './byte-source.js';
import {
  BLOCK_SIZE,
  decodeHeader,
  decodePax,
  entryType,
  isZeroBlock,
  paddingFor,
  type RawHeader,
  type TarHeader,
} from './format.js';

/** One member of a tar stream. */
export interface TarEntry {
  header: TarHeader;
  /**
   * The body's chunks, without copies. Read it before asking for the next
   * entry, or not at all: the reader skips whatever is left.
   */
  body(): AsyncGenerator<Buffer>;
}

/** Largest GNU long-name or PAX header we accept, as Go's archive/tar. */
const MAX_META_SIZE = 1 << 20;
const XATTR_PREFIX = 'SCHILY.xattr.';

/**
 * Reads a tar stream entry by entry. GNU long names and PAX records are
 * folded into the entry they describe. After the end-of-archive marker the
 * rest of the input is read and discarded, so a digest of the input covers
 * every byte.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const input = new ByteSource(source);
  try {
    let globalPax = new Map<string, Buffer>();
    let meta = emptyMeta();
    for (;;) {
      // Taken without a promise when buffered; input that ends within a block ends the archive.
      const block =
        input.readBuffered(BLOCK_SIZE) ??
        ((await input.fill(BLOCK_SIZE)) ? input.readBuffered(BLOCK_SIZE) : undefined);
      if (!block || isZeroBlock(block)) break;
      const raw = decodeHeader(block);
      const type = entryType(raw.typeflag);
      if (type === undefined) {
        const body = await readMetaBody(input, raw);
        if (raw.typeflag === 'g') globalPax = new Map([...globalPax, ...decodePax(body)]);
        else meta = foldMeta(meta, raw, body);
        continue;
      }
      const pax = globalPax.size === 0 ? meta.pax : new Map([...globalPax, ...meta.pax]);
      const header = applyMeta(raw, type, pax, meta);
      meta = emptyMeta();
      // Go's archive/tar: link, symlink, device, directory and fifo entries carry no body.
      const size = type === 'file' ? header.size : 0;
      const body = bodyReader(input, size);
      yield { header, body: body.read };
      const rest = size - body.consumed() + paddingFor(size);
      if (rest > 0) await input.skip(rest);
    }
    await input.drain();
  } finally {
    await input.close();
  }
}

interface PendingMeta {
  longName?: string;
  longLink?: string;
  pax: Map<string, Buffer>;
}

function emptyMeta(): PendingMeta {
  return { pax: new Map() };
}

async function readMetaBody(input: ByteSource, raw: RawHeader): Promise<Buffer> {
  if (!'LKxg'.includes(raw.typeflag)) {
    throw invalidArgument(`layer entry ${raw.name} has unsupported tar type '${raw.typeflag}'`);
  }
  if (raw.size > MAX_META_SIZE) throw invalidArgument(`tar extended header for ${raw.name} is too large`);
  const body = Buffer.from(await input.read(raw.size));
  await input.skip(paddingFor(raw.size));
  return body;
}

function foldMeta(meta: PendingMeta, raw: RawHeader, body: Buffer): PendingMeta {
  const text = () => body.toString('utf8', 0, body.indexOf(0) === -1 ? body.length : body.indexOf(0));
  if (raw.typeflag === 'L') return { ...meta, longName: text() };
  if (raw.typeflag === 'K') return { ...meta, longLink: text() };
  return { ...meta, pax: new Map([...meta.pax, ...decodePax(body)]) };
}

function applyMeta(raw: RawHeader, type: TarHeader['type'], pax: Map<string, Buffer>, meta: PendingMeta) {
  const header: TarHeader = {
    name: meta.longName ?? raw.name,
    type,
    mode: raw.mode & 0o7777,
    uid: raw.uid,
    gid: raw.gid,
    size: raw.size,
    mtime: raw.mtime,
    linkname: meta.longLink ?? raw.linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs: new Map(),
  };
  for (const [key, value] of pax) applyPaxRecord(header, key, value);
  return header;
}

function applyPaxRecord(header: TarHeader, key: string, value: Buffer): void {
  const text = () => value.toString('utf8');
  const number = (parse: (s: string) => number) => {
    const parsed = parse(text());
    if (!Number.isFinite(parsed) || parsed < 0)
      throw invalidArgument(`invalid PAX ${key} for ${header.name}`);
    return parsed;
  };
  if (key === 'path') header.name = text();
  else if (key === 'linkpath') header.linkname = text();
  else if (key === 'size') header.size = number(Number.parseInt);
  else if (key === 'uid') header.uid = number(Number.parseInt);
  else if (key === 'gid') header.gid = number(Number.parseInt);
  else if (key === 'mtime') header.mtime = number(Number.parseFloat);
  else if (key.startsWith(XATTR_PREFIX)) header.xattrs.set(key.slice(XATTR_PREFIX.length), value);
}

/** Reads a body while counting what was read, so the rest can be skipped. */
function bodyReader(input: ByteSource, size: number) {
  let consumed = 0;
  return {
    consumed: () => consumed,
    read: async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of input.stream(size - consumed)) {
        consumed += chunk.length;
        yield chunk;
      }
    },
  };
}
