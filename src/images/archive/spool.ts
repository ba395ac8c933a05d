import type { ContentIngester } from '../../content/content.js';
import { type Digest, sha256Of } from '../../core/digest.js';
import { readTar, type TarEntry } from '../../snapshots/tar/reader.js';
import { type ArchiveFile, ArchiveFiles, cleanEntryPath, cleanLinkTarget } from './files.js';

/** Options of {@link spoolArchive}. */
export interface SpoolOptions {
  content: ContentIngester;
  /**
   * Takes a blob into the caller's lease. Called before a blob of known
   * digest is written or reused, and before an unknown one is committed, so a
   * concurrent garbage collection never removes what the load relies on.
   */
  hold(digest: Digest): void;
  signal?: AbortSignal;
  /** Sees the chunks of each large file as they pass (early unpacking); may decline a file. */
  tap?: (path: string) => FileTap | undefined;
}

/** An observer of one file's chunks. `push` may wait, which slows the archive down. */
export interface FileTap {
  push(chunk: Buffer): Promise<void>;
  /** The file is complete. */
  end(): void;
  /** The file was not read to its end (known already, or the archive broke). */
  fail(error: unknown): void;
}

/** Chunks are gathered up to this size: fewer, larger writes. */
const WRITE_CHUNK = 1024 * 1024;

/** Files up to this size stay in memory (manifests, configs, small layers)… */
const MEMORY_FILE_LIMIT = 1024 * 1024;
/** …as long as all of them together stay under this. */
const MEMORY_TOTAL_LIMIT = 64 * 1024 * 1024;

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;

/**
 * Reads an image archive (a tar) once, as it streams in: small files into
 * memory, large ones straight into the content store as blobs, so a layer is
 * written once and never copied again. Files under `blobs/sha256/<hex>` (OCI
 * layouts, Docker 25+ saves) are checked against the digest their name gives,
 * and ones the store already has are skipped unread. Entry names that leave
 * the archive are refused; links are recorded and resolved within it.
 */
export async function spoolArchive(
  source: AsyncIterable<Buffer>,
  options: SpoolOptions,
): Promise<ArchiveFiles> {
  const files = new Map<string, ArchiveFile>();
  const links = new Map<string, string>();
  const writes: Promise<void>[] = [];
  let inMemory = 0;
  for await (const entry of readTar(source)) {
    options.signal?.throwIfAborted();
    const { header } = entry;
    const path = cleanEntryPath(header.name);
    if (header.type === 'symlink' || header.type === 'link') {
      links.set(path, cleanLinkTarget(path, header.linkname, header.type));
      continue;
    }
    if (header.type !== 'file') continue;
    const keep = header.size <= MEMORY_FILE_LIMIT && inMemory + header.size <= MEMORY_TOTAL_LIMIT;
    if (keep) {
      inMemory += header.size;
      files.set(path, await readToMemory(entry));
      continue;
    }
    // Once a blob's bytes are read, its fsync and commit go on while the next file streams in.
    const blob = writeBlob(entry, path, options);
    const written = blob.written.then((file) => {
      files.set(path, file);
    });
    written.catch(() => undefined);
    writes.push(written);
    await Promise.race([blob.consumed, written]);
  }
  await Promise.all(writes);
  return new ArchiveFiles(files, links);
}

async function readToMemory(entry: TarEntry): Promise<ArchiveFile> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry.body()) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { kind: 'memory', bytes, digest: sha256Of(bytes) };
}

/**
 * Writes a file to the content store. `consumed` settles once its bytes have
 * been read from the archive, `written` once the blob is committed.
 */
function writeBlob(entry: TarEntry, path: string, options: SpoolOptions) {
  const hex = BLOB_PATH.exec(path)?.[1];
  const expected = hex === undefined ? undefined : (`sha256:${hex}` as Digest);
  if (expected) options.hold(expected);
  let markConsumed = () => {};
  const consumed = new Promise<void>((resolve) => {
    markConsumed = resolve;
  });
  const body = observed(tapped(coalesced(entry.body()), options.tap?.(path)), markConsumed);
  const written = options.content
    .write(body, {
      size: entry.header.size,
      ...(expected ? { digest: expected } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      beforeCommit: (digest) => options.hold(digest),
    })
    .then(({ info }): ArchiveFile => ({ kind: 'blob', digest: info.digest, size: info.size }));
  return { consumed, written };
}

/** Passes chunks through and calls `done` when the source is finished with, however that happens. */
async function* observed(source: AsyncIterable<Buffer>, done: () => void): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } finally {
    done();
  }
}

/** Passes chunks through, showing each to `tap` first. */
async function* tapped(source: AsyncIterable<Buffer>, tap: FileTap | undefined): AsyncGenerator<Buffer> {
  if (!tap) return yield* source;
  let complete = false;
  try {
    for await (const chunk of source) {
      await tap.push(chunk);
      yield chunk;
    }
    complete = true;
    tap.end();
  } finally {
    if (!complete) tap.fail(new Error('file not read to its end'));
  }
}

/** Joins small chunks (a socket gives 64 KiB at a time) into ones of about WRITE_CHUNK bytes. */
async function* coalesced(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= WRITE_CHUNK) {
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
