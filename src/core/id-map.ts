import { invalidArgument } from './errors.js';

/** One range of a user namespace mapping, in the OCI spec's shape. */
export interface IdRange {
  containerID: number;
  hostID: number;
  size: number;
}

/** The kernel's overflowuid/overflowgid: unmapped IDs as a user namespace sees them. */
const OVERFLOW_ID = 65534;

/**
 * The user and group ID mappings of a remapped daemon (`userns-remap`):
 * which host IDs stand for container IDs. Layers are unpacked with their
 * owners moved to host IDs, and moved back when a layer is written out.
 */
export class IdMap {
  constructor(
    readonly uids: readonly IdRange[],
    readonly gids: readonly IdRange[],
  ) {}

  /** The host IDs of the container's root. */
  get root(): { uid: number; gid: number } {
    return this.toHost(0, 0);
  }

  /** Host owner of a container owner; InvalidArgument (dockerd's text) for an ID no range covers. */
  toHost(uid: number, gid: number): { uid: number; gid: number } {
    return { uid: shift(this.uids, uid, 'toHost'), gid: shift(this.gids, gid, 'toHost') };
  }

  /**
   * What a process of the container sees as the owner of a host file: the
   * mapped ID, or the kernel's overflow ID 65534 for one outside the ranges.
   */
  seenInContainer(uid: number, gid: number): { uid: number; gid: number } {
    const seen = (ranges: readonly IdRange[], id: number) => {
      const range = ranges.find((r) => id >= r.hostID && id < r.hostID + r.size);
      return range ? range.containerID + (id - range.hostID) : OVERFLOW_ID;
    };
    return { uid: seen(this.uids, uid), gid: seen(this.gids, gid) };
  }

  /** Container owner of a host owner; InvalidArgument for an ID outside the ranges. */
  toContainer(uid: number, gid: number): { uid: number; gid: number } {
    return { uid: shift(this.uids, uid, 'toContainer'), gid: shift(this.gids, gid, 'toContainer') };
  }
}

function shift(ranges: readonly IdRange[], id: number, direction: 'toHost' | 'toContainer'): number {
  for (const range of ranges) {
    const from = direction === 'toHost' ? range.containerID : range.hostID;
    const to = direction === 'toHost' ? range.hostID : range.containerID;
    if (id >= from && id < from + range.size) return to + (id - from);
  }
  throw invalidArgument(
    direction === 'toHost'
      ? `Container ID ${id} cannot be mapped to a host ID`
      : `Host ID ${id} cannot be mapped to a container ID`,
  );
}
