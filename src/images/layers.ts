/**
 * Unpacked layers as the image service keeps them: one committed snapshot per
 * chain ID in the overlay snapshotter (Docker's storage driver `overlay2`),
 * labelled with what Docker reports about a layer.
 */
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind } from '../core/errors.js';
import type { SnapshotRef } from '../metadata/refs.js';
import type { Mount, Snapshotter } from '../snapshots/snapshotter.js';

/** The snapshotter name references use; also the storage driver name Docker shows. */
export const SNAPSHOTTER_NAME = 'overlay2';

/** Label: the layer's diff size (bytes of regular-file content). */
export const LAYER_SIZE_LABEL = 'io.berth.layer.size';
/** Label: the directory the layer was unpacked into (its overlay layer). */
export const LAYER_DIR_LABEL = 'io.berth.layer.dir';

/** Prefix of the active snapshots a layer is unpacked into before its commit. */
export const EXTRACT_PREFIX = 'extract-';

/** A snapshot of the image service's snapshotter, as a reference names it. */
export function snapshotRef(key: string): SnapshotRef {
  return { snapshotter: SNAPSHOTTER_NAME, key };
}

/** What is known about one unpacked layer. */
export interface LayerFacts {
  /** Docker's diff size of this layer alone. */
  size: number;
  /** Its overlay layer directory, when recorded. */
  dir?: string;
}

/** Facts about the committed snapshot of `chainId`, or undefined when it is not unpacked. */
export async function layerFacts(snapshotter: Snapshotter, chainId: Digest): Promise<LayerFacts | undefined> {
  try {
    const info = await snapshotter.stat(chainId);
    const dir = info.labels[LAYER_DIR_LABEL];
    return { size: Number(info.labels[LAYER_SIZE_LABEL] ?? 0), ...(dir ? { dir } : {}) };
  } catch (err) {
    if (isKind(err, ErrorKind.NotFound)) return undefined;
    throw err;
  }
}

/**
 * The directory a freshly prepared snapshot's layer goes into: overlay's
 * upper directory, or the bind source of a snapshot without parent. Layers
 * are applied straight into it with overlay whiteouts, as containerd's
 * overlay differ does, so nothing needs mounting.
 */
export function layerDirectory(mounts: readonly Mount[]): string {
  const first = mounts[0];
  if (!first) throw new Error('snapshotter returned no mounts');
  const upper = first.options.find((option) => option.startsWith('upperdir='));
  return upper ? upper.slice('upperdir='.length) : first.source;
}
