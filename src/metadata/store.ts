import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ContentManager } from '../content/content.js';
import type { Digest } from '../core/digest.js';
import { conflict } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { type GcOptions, type GcResult, runGarbageCollection } from './gc.js';
import { contentNode, LiveSet } from './gc-graph.js';
import { ImageStore } from './images.js';
import { KeyValueStore } from './kv.js';
import { LeaseStore } from './leases.js';
import { ReferenceStore } from './refs.js';
import { migrate } from './schema.js';

/** Options of {@link openMetadataStore}. */
export interface MetadataStoreOptions {
  /** Milliseconds since the epoch; tests pass a fake clock to expire leases. */
  now?: () => number;
}

/**
 * The engine's one transactional store: images, leases, references and a
 * key/value table in a single SQLite database. Every method of the record
 * stores is synchronous and atomic; `transaction` groups several into one.
 * There is a single writer, the daemon.
 */
export class MetadataStore {
  readonly images: ImageStore;
  readonly leases: LeaseStore;
  readonly refs: ReferenceStore;
  readonly kv: KeyValueStore;
  private collecting: LiveSet | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    const ctx: StoreContext = {
      db,
      now,
      noteContent: (digest) => this.collecting?.keep(contentNode(digest)),
    };
    this.refs = new ReferenceStore(ctx);
    this.images = new ImageStore(ctx, this.refs);
    this.leases = new LeaseStore(ctx, this.refs);
    this.kv = new KeyValueStore(ctx);
  }

  /** Opens (creating and migrating if needed) the database at `path`. */
  static async open(path: string, options: MetadataStoreOptions = {}): Promise<MetadataStore> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // better-sqlite3 is synchronous by design; opening is a one-off at startup.
    const db = new Database(path, { timeout: 5000 });
    try {
      db.pragma('journal_mode = WAL');
      // FULL: a committed transaction survives power loss, not just a crash.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new MetadataStore(db, options.now ?? Date.now);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Closes the database; the store must not be used afterwards. */
  close(): void {
    this.db.close();
  }

  /**
   * Collects garbage: deletes expired leases, marks every blob reachable from
   * images, containers and live leases (following content → content
   * references, such as a manifest's layers), then deletes every other blob
   * from `content` and returns what went. Conflict if a collection is running.
   *
   * Safe against work running meanwhile, provided that work references a blob
   * (through a lease) before writing or reusing it; a blob written with no
   * reference at all may be collected, as in containerd.
   */
  collectGarbage(content: ContentManager, options?: GcOptions): Promise<GcResult> {
    return runGarbageCollection(
      {
        begin: () => this.beginCollection(),
        forgetDeletedContent: (digest) => this.forgetDeletedContent(digest),
        end: () => {
          this.collecting = undefined;
        },
      },
      content,
      options,
    );
  }

  private beginCollection(): { live: LiveSet; expiredLeases: string[] } {
    if (this.collecting) throw conflict('garbage collection already running');
    const start = this.transaction(() => ({
      expiredLeases: this.leases.deleteExpired(this.now()),
      live: new LiveSet([...this.images.targetEdges(), ...this.refs.edges()]),
    }));
    // Set only after the commit succeeded; synchronous, so no reference can be added in between.
    this.collecting = start.live;
    return start;
  }

  private forgetDeletedContent(digest: Digest): void {
    if (this.collecting?.isLive(contentNode(digest))) return;
    this.refs.deleteOwner({ kind: 'content', id: digest });
  }
}

/** Opens (creating and migrating if needed) the metadata database at `path`. */
export function openMetadataStore(path: string, options?: MetadataStoreOptions): Promise<MetadataStore> {
  return MetadataStore.open(path, options);
}
