import type { Digest } from '../core/digest.js';
import type { RefOwner, RefOwnerKind, SnapshotRef } from './refs.js';

/**
 * A node of the reference graph: a blob (`content:<digest>`) or a snapshot
 * (`snapshot:<snapshotter>/<key>`). Images, containers and leases are not
 * nodes; they are where marking starts.
 */
export type GraphNode = `content:${string}` | `snapshot:${string}`;

/** The graph node of a blob. */
export const contentNode = (digest: string): GraphNode => `content:${digest}`;

/** The graph node of a snapshot. */
export const snapshotNode = (ref: SnapshotRef): GraphNode => `snapshot:${snapshotId(ref)}`;

/** How a snapshot is named when it owns references: `<snapshotter>/<key>`. */
export const snapshotId = (ref: SnapshotRef): string => `${ref.snapshotter}/${ref.key}`;

/** Owner kinds whose references are roots: what they hold is live. */
export const ROOT_OWNER_KINDS: ReadonlySet<RefOwnerKind> = new Set(['image', 'container', 'lease']);

/** One reference edge as stored: an owner holding a node. */
export interface GraphEdge {
  owner: RefOwner;
  node: GraphNode;
}

/**
 * The set of live nodes of one garbage collection: marked from the roots at the
 * start, and extended while the collection runs by every reference added
 * meanwhile (with everything that node already held at mark time), so work
 * that starts during a collection is never swept from under it.
 */
export class LiveSet {
  private readonly live = new Set<GraphNode>();
  private readonly children = new Map<GraphNode, GraphNode[]>();

  constructor(edges: Iterable<GraphEdge>) {
    const roots: GraphNode[] = [];
    for (const { owner, node } of edges) {
      if (ROOT_OWNER_KINDS.has(owner.kind)) {
        roots.push(node);
        continue;
      }
      const parent: GraphNode = `${owner.kind === 'content' ? 'content' : 'snapshot'}:${owner.id}`;
      const list = this.children.get(parent);
      if (list) list.push(node);
      else this.children.set(parent, [node]);
    }
    for (const root of roots) this.keep(root);
  }

  /** Marks `node` and everything reachable from it as live. */
  keep(node: GraphNode): void {
    const pending = [node];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (this.live.has(next)) continue;
      this.live.add(next);
      pending.push(...(this.children.get(next) ?? []));
    }
  }

  /** Whether `node` has been marked. */
  isLive(node: GraphNode): boolean {
    return this.live.has(node);
  }

  /** Live blobs, for reports and tests. */
  liveContent(): Digest[] {
    const prefix = 'content:';
    return [...this.live]
      .filter((node) => node.startsWith(prefix))
      .map((node) => node.slice(prefix.length) as Digest)
      .sort();
  }
}
