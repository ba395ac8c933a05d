/**
 * A blob's bytes from the registry as one stream, whatever happens to the
 * connection: a transfer that breaks off is resumed with a Range request
 * from the byte it reached, after a back-off, a few times.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Descriptor } from '../core/descriptor.js';
import { BerthError } from '../core/errors.js';
import type { RepositoryClient } from './repository.js';

const MAX_RETRIES = 5;
const FIRST_BACKOFF_MS = 250;

/** Streams `blob`, calling `onBytes` with the running total. */
export async function* blobSource(
  repo: RepositoryClient,
  blob: Descriptor,
  options: { signal?: AbortSignal; onBytes?: (current: number) => void },
): AsyncGenerator<Buffer> {
  let offset = 0;
  let failures = 0;
  for (;;) {
    try {
      const res = await repo.openBlob(blob.digest, offset, options.signal);
      for await (const chunk of res as AsyncIterable<Buffer>) {
        offset += chunk.length;
        options.onBytes?.(offset);
        yield chunk;
      }
      if (offset >= blob.size) return;
      throw Object.assign(new Error(`connection closed after ${offset} of ${blob.size} bytes`), {
        code: 'ECONNRESET',
      });
    } catch (err) {
      if (options.signal?.aborted || err instanceof BerthError || ++failures > MAX_RETRIES) throw err;
      await sleep(
        FIRST_BACKOFF_MS * 2 ** (failures - 1),
        undefined,
        options.signal ? { signal: options.signal } : {},
      );
    }
  }
}
