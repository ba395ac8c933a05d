import type { Database } from 'better-sqlite3';
import type { Digest } from '../core/digest.js';

/** What every record store of one metadata database shares. */
export interface StoreContext {
  readonly db: Database;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now(): number;
  /** Tells a running garbage collection that `digest` just gained a reference. */
  noteContent(digest: Digest): void;
}
