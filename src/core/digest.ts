import { createHash, type Hash } from 'node:crypto';
import { invalidArgument } from './errors.js';

/**
 * A content digest in its canonical form, `sha256:<64 lowercase hex>`. Only
 * sha256 is supported: it is the algorithm of every Docker and OCI image in use,
 * and the content store keeps blobs under `blobs/sha256/`.
 */
export type Digest = `sha256:${string}`;

/** The only digest algorithm Berth stores content under. */
export const DIGEST_ALGORITHM = 'sha256';

const SHA256_HEX = /^[a-f0-9]{64}$/;

// go-digest's grammar for "algorithm:encoded"; a string that fits it but names
// another algorithm is unsupported rather than malformed.
const WELL_FORMED_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Whether `value` is a canonical sha256 digest. Never throws. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && value.startsWith('sha256:') && SHA256_HEX.test(value.slice(7));
}

/**
 * Validates a digest string. Throws InvalidArgument with go-digest's messages
 * (the ones dockerd prints): `invalid checksum digest format`,
 * `invalid checksum digest length`, `unsupported digest algorithm`.
 */
export function parseDigest(value: string): Digest {
  const colon = value.indexOf(':');
  const algorithm = colon < 0 ? '' : value.slice(0, colon);
  const encoded = colon < 0 ? '' : value.slice(colon + 1);
  if (colon < 0 || encoded === '') throw invalidArgument('invalid checksum digest format');
  if (algorithm !== DIGEST_ALGORITHM) {
    if (!WELL_FORMED_DIGEST.test(value)) throw invalidArgument('invalid checksum digest format');
    throw invalidArgument('unsupported digest algorithm');
  }
  if (encoded.length !== 64) throw invalidArgument('invalid checksum digest length');
  if (!SHA256_HEX.test(encoded)) throw invalidArgument('invalid checksum digest format');
  return value as Digest;
}

/** The hex part of a digest: what names the blob file on disk. */
export function digestHex(digest: Digest): string {
  return digest.slice(DIGEST_ALGORITHM.length + 1);
}

/** The sha256 digest of some bytes held in memory. */
export function sha256Of(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Hashes content as it streams past and counts its bytes. Feed every chunk to
 * `update`, then read `digest()` once at the end.
 */
export interface Digester {
  update(chunk: Uint8Array): void;
  /** Bytes seen so far. */
  readonly size: number;
  /** The digest of everything fed in; the digester cannot be used afterwards. */
  digest(): Digest;
}

/** A streaming sha256 hasher that also counts bytes. */
export function createDigester(): Digester {
  const hash: Hash = createHash('sha256');
  let size = 0;
  return {
    update(chunk) {
      hash.update(chunk);
      size += chunk.byteLength;
    },
    get size() {
      return size;
    },
    digest: () => `sha256:${hash.digest('hex')}`,
  };
}

/** Hashes a whole stream (any async iterable of bytes) without keeping it. */
export async function digestOfStream(
  source: AsyncIterable<Uint8Array>,
): Promise<{ digest: Digest; size: number }> {
  const digester = createDigester();
  for await (const chunk of source) digester.update(chunk);
  return { digest: digester.digest(), size: digester.size };
}
