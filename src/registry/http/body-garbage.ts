import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How many request-body bytes may become garbage before a young-generation collection. */
const COLLECT_EVERY = 8 << 20;
/** Every so many, a full collection: buffers alive during two young collections moved to the old one. */
const COLLECT_FULLY_EVERY = 8;
/** Bodies stopped coming for this long: collect fully once. */
const QUIET_MS = 2000;

type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/**
 * Node hands every socket read of a request body over as a fresh buffer
 * (up to 64 KiB) outside the JavaScript heap. Such a buffer is freed only
 * when V8 collects its small wrapper object, and V8 lets about 64 MiB of
 * that memory pile up before it collects on its own: with blobs streaming in,
 * resident memory rises by that much. A young-generation collection after
 * every {@link COLLECT_EVERY} bytes of bodies frees them early; it costs well
 * under a millisecond, as the young generation is small and mostly dead.
 */
export function createBodyGarbageCollector(): (bytes: number) => void {
  const collect = exposeGc();
  if (!collect) return () => {};
  let sinceLast = 0;
  let collections = 0;
  // Once bodies stop coming, one full collection returns what the last burst left.
  let quiet: NodeJS.Timeout | undefined;
  const collectWhenQuiet = () => {
    quiet = undefined;
    collect({ type: 'major' });
  };
  return (bytes) => {
    quiet ??= setTimeout(collectWhenQuiet, QUIET_MS).unref();
    quiet.refresh();
    sinceLast += bytes;
    if (sinceLast < COLLECT_EVERY) return;
    sinceLast = 0;
    collections++;
    collect({ type: collections % COLLECT_FULLY_EVERY === 0 ? 'major' : 'minor' });
  };
}

// V8 exposes `gc` only to contexts created while --expose-gc is set.
function exposeGc(): Collect | undefined {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Collect;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
