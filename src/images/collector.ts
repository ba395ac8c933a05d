import type { ContentManager } from '../content/content.js';
import type { KeyedMutex } from '../content/keyed-mutex.js';
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { LiveSet, snapshotNode } from '../metadata/gc-graph.js';
import type { MetadataStore } from '../metadata/store.js';
import type { SnapshotInfo, Snapshotter } from '../snapshots/snapshotter.js';
import { snapshotRef } from './layers.js';

/** What one collection removed. */
export interface Collected {
  /** Snapshot names and keys removed. */
  snapshots: string[];
  blobs: Digest[];
}

/** What the collector needs. */
export interface CollectorDeps {
  metadata: MetadataStore;
  content: ContentManager;
  snapshotter: Snapshotter;
  /** Per-snapshot locks shared with the unpacker. */
  locks: KeyedMutex;
  log: Logger;
  /** Told which blobs went, so caches of them can be dropped. */
  onBlobsDeleted?: (digests: readonly Digest[]) => void;
}

/**
 * Garbage collection for images: removes every snapshot and blob that no
 * image, container or lease holds. Snapshots go first, leaves before their
 * parents; each is checked again under its lock right before removal, so an
 * unpack that just started to use it (and took it into its lease under the
 * same lock) keeps it. Blobs are then collected by the metadata store, whose
 * leases protect work in progress. Collections run one at a time.
 */
export class ImageCollector {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CollectorDeps) {}

  /** Collects now, after any collection already running. */
  collect(): Promise<Collected> {
    const run = this.running.then(() => this.collectOnce());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async collectOnce(): Promise<Collected> {
    const snapshots = await this.sweepSnapshots();
    const { deleted } = await this.deps.metadata.collectGarbage(this.deps.content);
    this.deps.onBlobsDeleted?.(deleted);
    if (snapshots.length + deleted.length > 0) {
      this.deps.log.debug('image garbage collected', { snapshots: snapshots.length, blobs: deleted.length });
    }
    return { snapshots, blobs: deleted };
  }

  private async sweepSnapshots(): Promise<string[]> {
    const removed: string[] = [];
    for (;;) {
      const doomed = this.unreferencedLeaves(await this.allSnapshots());
      let progress = false;
      for (const info of doomed) {
        if (await this.removeIfUnreferenced(info.name)) {
          removed.push(info.name);
          progress = true;
        }
      }
      // Removing leaves may have made their parents leaves in turn.
      if (!progress) return removed;
    }
  }

  private async allSnapshots(): Promise<SnapshotInfo[]> {
    const infos: SnapshotInfo[] = [];
    await this.deps.snapshotter.walk((info) => {
      infos.push(info);
    });
    return infos;
  }

  private unreferencedLeaves(infos: readonly SnapshotInfo[]): SnapshotInfo[] {
    const parents = new Set(infos.map((info) => info.parent).filter((parent) => parent !== undefined));
    const live = this.liveSet();
    return infos.filter((info) => !parents.has(info.name) && !live.isLive(node(info.name)));
  }

  private removeIfUnreferenced(name: string): Promise<boolean> {
    return this.deps.locks.run(name, async () => {
      if (this.liveSet().isLive(node(name))) return false;
      try {
        await this.deps.snapshotter.remove(name);
        return true;
      } catch (err) {
        // Gone already, or it gained a child meanwhile: either way it stays out of this round.
        if (isKind(err, ErrorKind.NotFound) || isKind(err, ErrorKind.FailedPrecondition)) return false;
        throw err;
      }
    });
  }

  private liveSet(): LiveSet {
    const { metadata } = this.deps;
    return metadata.transaction(
      () => new LiveSet([...metadata.images.targetEdges(), ...metadata.refs.edges()]),
    );
  }
}

function node(name: string) {
  return snapshotNode(snapshotRef(name));
}
