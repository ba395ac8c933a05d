import { canceled } from '../core/errors.js';

/** Throws Canceled if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw canceledBy(signal);
}

function canceledBy(signal: AbortSignal) {
  return canceled('content write canceled', signal.reason);
}

/**
 * Iterates `source` until it ends or `signal` fires, whichever comes first, so
 * a stalled network stream cannot hold an aborted write open. The source is
 * closed when iteration stops early.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  throwIfAborted(signal);
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(canceledBy(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  let finished = false;
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!finished) closeSource(iterator);
  }
}

/** Tells a source we will not read it (destroys a Node stream, cancels a web stream). */
export function closeSource(source: AsyncIterable<unknown> | AsyncIterator<unknown>): void {
  try {
    const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
    // Not awaited: an async generator answers return() only once its pending step settles.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    // A web stream already locked by another reader is that reader's to close.
  }
}

/** A one-chunk source for writes of bytes held in memory. */
export async function* singleChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
