import type { IdMap } from '../core/id-map.js';

/**
 * The snapshotter contract, after containerd's `core/snapshots`.
 *
 * Vocabulary: a *key* names an active snapshot (or a view) while it is being
 * worked on; a *name* names a committed snapshot; a snapshot's *parent* is
 * the committed snapshot it starts from. Keys and names share one namespace.
 *
 * Lifecycle, unpacking an image: for each layer, `prepare(key, parentName)`
 * gives mounts for a writable snapshot on top of the layers so far; apply the
 * layer into it (for overlay: straight into its upper directory); then
 * `commit(name, key)` turns it into a read-only committed snapshot that the
 * next layer uses as parent. A container's root is another `prepare` on the
 * image's top layer; `view` gives read-only mounts for inspection. `remove`
 * deletes a snapshot that nothing depends on.
 *
 * A snapshotter returns mount descriptions and never mounts anything itself.
 */

/** What a snapshot is. */
export const SnapshotKind = {
  /** Read-only, from `view`; cannot be committed. */
  View: 'view',
  /** Writable, from `prepare`; can be committed. */
  Active: 'active',
  /** Read-only and immutable, from `commit`; can be a parent. */
  Committed: 'committed',
} as const;
export type SnapshotKind = (typeof SnapshotKind)[keyof typeof SnapshotKind];

/** A snapshot's metadata. */
export interface SnapshotInfo {
  kind: SnapshotKind;
  /** The key (active, view) or name (committed). */
  name: string;
  /** Name of the committed parent, if any. */
  parent?: string;
  labels: Record<string, string>;
  created: Date;
  updated: Date;
}

/** Disk space a snapshot's own layer takes (not its parents'). */
export interface SnapshotUsage {
  /** Distinct inodes. */
  inodes: number;
  /** Bytes of disk blocks. */
  size: number;
}

/** A mount to perform, in the form mount(8) takes. */
export interface Mount {
  /** Filesystem type: 'overlay', or 'bind' for a bind mount. */
  type: string;
  /** Device or source directory. */
  source: string;
  /** mount -o options, e.g. `lowerdir=…`, `ro`, `rbind`. */
  options: string[];
}

/** Options for creating a snapshot. */
export interface SnapshotOptions {
  labels?: Record<string, string>;
  /**
   * false: the new record need not survive a power loss (an auto-removed
   * container's: start-up removes such a container, and the directories no
   * record names). A crash of the process alone loses nothing either way.
   */
  durable?: boolean;
}

/** Selects snapshots in {@link Snapshotter.walk}; every given field must match. */
export interface WalkFilter {
  kind?: SnapshotKind;
  parent?: string;
  /** Labels that must be present with these values. */
  labels?: Record<string, string>;
}

/** Manages layered filesystem snapshots. All methods reject with BerthError kinds. */
/** Options of {@link Snapshotter.remove}. */
export interface RemoveOptions {
  /**
   * Resolves once nothing uses the snapshot's files any more (its rootfs is
   * unmounted): the record may go before, the files only after.
   */
  released?: Promise<void>;
  /**
   * false: the removal of the record need not survive a power loss (an
   * auto-removed container's: start-up removes a container snapshot that no
   * container owns). A crash of the process alone loses nothing either way.
   */
  durable?: boolean;
}

export interface Snapshotter {
  /**
   * Set when owners in this snapshotter's layers are host IDs of a user
   * namespace mapping (`userns-remap`): layers go in through
   * `applyLayer(…, { idMap })` and come out through `diffUpper(…, { idMap })`.
   */
  readonly idMap?: IdMap;
  /** Metadata of a snapshot by key or name; NotFound if none. */
  stat(key: string): Promise<SnapshotInfo>;
  /**
   * Changes mutable fields: only labels. `fieldPaths` such as `labels` or
   * `labels.<key>` limit the change; without them all labels are replaced.
   */
  update(info: SnapshotInfo, fieldPaths?: string[]): Promise<SnapshotInfo>;
  /** Disk usage of the snapshot's own layer. */
  usage(key: string): Promise<SnapshotUsage>;
  /** Mounts for an active snapshot or view; FailedPrecondition for a committed one. */
  mounts(key: string): Promise<Mount[]>;
  /** Creates a writable snapshot on `parent` (a committed name) and returns its mounts. */
  prepare(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /** Creates a read-only view of `parent` and returns its mounts. */
  view(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]>;
  /** Turns the active snapshot `key` into the committed snapshot `name`; `key` is gone after. */
  commit(name: string, key: string, options?: SnapshotOptions): Promise<void>;
  /** Deletes a snapshot; FailedPrecondition while it has children. */
  remove(key: string, options?: RemoveOptions): Promise<void>;
  /** Calls `fn` for every snapshot that matches `filter`. */
  walk(fn: (info: SnapshotInfo) => void | Promise<void>, filter?: WalkFilter): Promise<void>;
  /** Releases resources; later calls fail. */
  close(): Promise<void>;
}

/** True if `info` matches every field of `filter`. */
export function matchesFilter(info: SnapshotInfo, filter: WalkFilter = {}): boolean {
  if (filter.kind !== undefined && info.kind !== filter.kind) return false;
  if (filter.parent !== undefined && info.parent !== filter.parent) return false;
  return Object.entries(filter.labels ?? {}).every(([key, value]) => info.labels[key] === value);
}
