import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { invalidArgument } from '../core/errors.js';
import { StreamHash } from './off-thread-hash.js';

/** Compression of a layer blob, told apart by its first bytes. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The compression a blob starting with `head` uses. */
export function detectCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * The uncompressed bytes of a layer blob, whatever its compression. Pulls
 * from `source` only as fast as the result is read.
 */
export async function* decompressed(source: Readable | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < ZSTD_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headLength += next.value.length;
  }
  const compression = detectCompression(Buffer.concat(head));
  const rest = replay(head, ended ? undefined : iterator);
  if (compression === 'none') return yield* rest;
  if (compression === 'zstd') return yield* zstdDecompressed(rest);
  // Large output chunks: with zlib's 16 KiB default, per-chunk overhead dominates.
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  // Errors on either side reach the consumer through gunzip's iterator; stopping
  // early destroys gunzip, and pipeline then closes the source too.
  pipeline(Readable.from(rest), gunzip, () => {});
  yield* gunzip;
}

/*
 * zstd through fzstd: pure JavaScript (no native build, no download at
 * install), streaming, decompression only, which is all a layer apply needs.
 * It runs on the calling thread at roughly a quarter of native speed, in
 * small steps between reads, so the event loop keeps turning.
 */
async function* zstdDecompressed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let output: Buffer[] = [];
  // Copy: the decoder may reuse its window buffer for later output.
  const decoder = new ZstdDecompress((chunk) => output.push(Buffer.from(chunk)));
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (err) {
      throw invalidArgument(`invalid zstd stream: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ready = output;
    output = [];
    return ready;
  };
  for await (const chunk of source) yield* push(chunk, false);
  yield* push(new Uint8Array(0), true);
}

async function* replay(head: Buffer[], iterator: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  let delegated = false;
  try {
    yield* head;
    delegated = true;
    // Delegating (rather than looping) forwards an early return to the source.
    if (iterator) yield* { [Symbol.asyncIterator]: () => iterator };
  } finally {
    // Stopped while still replaying the head: the source was never told, so tell it now
    // (a file stream would otherwise keep its descriptor open).
    if (!delegated) await iterator?.return?.();
  }
}

/** Counts and hashes bytes as they pass; large streams are hashed on another thread. */
export class DigestingCounter {
  private readonly hash: StreamHash | undefined;
  /** Bytes seen so far. */
  size = 0;

  /** @param hashing false to only count (the digest is known and verified elsewhere). */
  constructor(hashing = true) {
    this.hash = hashing ? new StreamHash() : undefined;
  }

  /** Passes `source` through, recording every byte. */
  async *tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let complete = false;
    try {
      for await (const chunk of source) {
        this.hash?.update(chunk);
        this.size += chunk.length;
        // Reading on is pointless while the hash thread is behind: wait for it.
        const room = this.hash?.room();
        if (room) await room;
        yield chunk;
      }
      complete = true;
    } finally {
      // Failed or stopped early: nobody will ask for the digest.
      if (!complete) this.hash?.discard();
    }
  }

  /** The `sha256:<hex>` digest of everything seen. Call once, at the end. */
  digest(): Promise<string> {
    if (!this.hash) throw new Error('digest of a stream that was only counted');
    return this.hash.digest();
  }
}
