import { createDigester, type Digest, isDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { ReadRange, WriteOptions } from './content.js';

/** Checks content against what its writer expected, as it streams past. */
export interface IngestCheck {
  /** Counts and hashes a chunk; throws as soon as the content is longer than expected. */
  update(chunk: Uint8Array): void;
  /** Checks the final size and digest and returns the digest. */
  finish(): Digest;
}

/** Starts checking an ingest against an optional expected digest and size. */
export function createIngestCheck(expected: { digest?: Digest; size?: number }): IngestCheck {
  const digester = createDigester();
  return {
    update(chunk) {
      digester.update(chunk);
      if (expected.size !== undefined && digester.size > expected.size) {
        throw invalidArgument(`size mismatch: expected ${expected.size} bytes got at least ${digester.size}`);
      }
    },
    finish() {
      if (expected.size !== undefined && digester.size !== expected.size) {
        throw invalidArgument(`size mismatch: expected ${expected.size} bytes got ${digester.size}`);
      }
      const actual = digester.digest();
      if (expected.digest !== undefined && actual !== expected.digest) {
        throw invalidArgument(`digest mismatch: expected ${expected.digest} got ${actual}`);
      }
      return actual;
    },
  };
}

/** Rejects a read range with a negative or fractional offset or length. */
export function checkRange(range: ReadRange): void {
  for (const value of [range.offset, range.length]) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw invalidArgument(`invalid read range: offset ${range.offset} length ${range.length}`);
    }
  }
}

/** Rejects a malformed expected digest or size before any work is done. */
export function checkWriteOptions(options: WriteOptions): void {
  if (options.digest !== undefined && !isDigest(options.digest)) {
    throw invalidArgument(`invalid expected digest ${options.digest}`);
  }
  if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
    throw invalidArgument(`invalid expected size ${options.size}`);
  }
}
