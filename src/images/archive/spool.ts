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
}

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
    if (keep) inMemory += header.size;
    files.set(path, keep ? await readToMemory(entry) : await writeBlob(entry, path, options));
  }
  return new ArchiveFiles(files, links);
}

async function readToMemory(entry: TarEntry): Promise<ArchiveFile> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry.body()) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { kind: 'memory', bytes, digest: sha256Of(bytes) };
}

async function writeBlob(entry: TarEntry, path: string, options: SpoolOptions): Promise<ArchiveFile> {
  const hex = BLOB_PATH.exec(path)?.[1];
  const expected = hex === undefined ? undefined : (`sha256:${hex}` as Digest);
  if (expected) options.hold(expected);
  const { info } = await options.content.write(entry.body(), {
    size: entry.header.size,
    ...(expected ? { digest: expected } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    beforeCommit: (digest) => options.hold(digest),
  });
  return { kind: 'blob', digest: info.digest, size: info.size };
}
