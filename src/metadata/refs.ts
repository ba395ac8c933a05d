import type { Statement } from 'better-sqlite3';
import { type Digest, isDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { contentNode, type GraphEdge, snapshotNode } from './gc-graph.js';

/**
 * Who holds a reference. Images (by name), containers (by id) and leases (by
 * id) are GC roots; a blob (by digest) or a snapshot (by `<snapshotter>/<key>`)
 * holds references only while it is itself live, as a manifest holds its layers.
 */
export type RefOwnerKind = 'image' | 'container' | 'lease' | 'content' | 'snapshot';

const OWNER_KINDS: ReadonlySet<string> = new Set<RefOwnerKind>([
  'image',
  'container',
  'lease',
  'content',
  'snapshot',
]);

/** The holder of a reference. */
export interface RefOwner {
  kind: RefOwnerKind;
  id: string;
}

/** A snapshot, named as the snapshots module names it. */
export interface SnapshotRef {
  snapshotter: string;
  key: string;
}

interface ContentRow {
  owner_kind: RefOwnerKind;
  owner_id: string;
  digest: Digest;
}
interface SnapshotRow {
  owner_kind: RefOwnerKind;
  owner_id: string;
  snapshotter: string;
  key: string;
}

/**
 * The reference edges garbage collection marks along. Adding a reference
 * before writing or reusing what it names is what keeps it safe from a
 * collection running at the same time.
 */
export class ReferenceStore {
  private readonly sql: {
    addContent: Statement<[string, string, string]>;
    removeContent: Statement<[string, string, string]>;
    listContent: Statement<[string, string], { digest: Digest }>;
    contentOwners: Statement<[string], { owner_kind: RefOwnerKind; owner_id: string }>;
    addSnapshot: Statement<[string, string, string, string]>;
    removeSnapshot: Statement<[string, string, string, string]>;
    listSnapshots: Statement<[string, string], SnapshotRef>;
    dropContent: Statement<[string, string]>;
    dropSnapshots: Statement<[string, string]>;
    allContent: Statement<[], ContentRow>;
    allSnapshots: Statement<[], SnapshotRow>;
  };

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.sql = {
      addContent: db.prepare(
        'INSERT OR IGNORE INTO content_refs (owner_kind, owner_id, digest) VALUES (?, ?, ?)',
      ),
      removeContent: db.prepare(
        'DELETE FROM content_refs WHERE owner_kind = ? AND owner_id = ? AND digest = ?',
      ),
      listContent: db.prepare(
        'SELECT digest FROM content_refs WHERE owner_kind = ? AND owner_id = ? ORDER BY digest',
      ),
      contentOwners: db.prepare(
        'SELECT owner_kind, owner_id FROM content_refs WHERE digest = ? ORDER BY owner_kind, owner_id',
      ),
      addSnapshot: db.prepare(
        'INSERT OR IGNORE INTO snapshot_refs (owner_kind, owner_id, snapshotter, key) VALUES (?, ?, ?, ?)',
      ),
      removeSnapshot: db.prepare(
        'DELETE FROM snapshot_refs WHERE owner_kind = ? AND owner_id = ? AND snapshotter = ? AND key = ?',
      ),
      listSnapshots: db.prepare(
        'SELECT snapshotter, key FROM snapshot_refs WHERE owner_kind = ? AND owner_id = ? ORDER BY snapshotter, key',
      ),
      dropContent: db.prepare('DELETE FROM content_refs WHERE owner_kind = ? AND owner_id = ?'),
      dropSnapshots: db.prepare('DELETE FROM snapshot_refs WHERE owner_kind = ? AND owner_id = ?'),
      allContent: db.prepare('SELECT owner_kind, owner_id, digest FROM content_refs'),
      allSnapshots: db.prepare('SELECT owner_kind, owner_id, snapshotter, key FROM snapshot_refs'),
    };
  }

  /** Makes `owner` hold each blob; holding one twice is a no-op. */
  addContent(owner: RefOwner, digests: readonly Digest[]): void {
    checkOwner(owner);
    for (const digest of digests) if (!isDigest(digest)) throw invalidArgument(`invalid digest ${digest}`);
    this.ctx.db.transaction(() => {
      for (const digest of digests) {
        this.sql.addContent.run(owner.kind, owner.id, digest);
        this.ctx.noteContent(digest);
      }
    })();
  }

  /** Drops one held blob; a no-op if it was not held. */
  removeContent(owner: RefOwner, digest: Digest): void {
    this.sql.removeContent.run(owner.kind, owner.id, digest);
  }

  /** Replaces everything `owner` holds in content with `digests`. */
  setContent(owner: RefOwner, digests: readonly Digest[]): void {
    this.ctx.db.transaction(() => {
      this.sql.dropContent.run(owner.kind, owner.id);
      this.addContent(owner, digests);
    })();
  }

  /** The blobs `owner` holds, by digest. */
  listContent(owner: RefOwner): Digest[] {
    return this.sql.listContent.all(owner.kind, owner.id).map((row) => row.digest);
  }

  /** Who holds `digest`: what `docker rmi` must report as users of an image. */
  contentOwners(digest: Digest): RefOwner[] {
    return this.sql.contentOwners.all(digest).map((row) => ({ kind: row.owner_kind, id: row.owner_id }));
  }

  /** Makes `owner` hold a snapshot; holding it twice is a no-op. */
  addSnapshot(owner: RefOwner, ref: SnapshotRef): void {
    checkOwner(owner);
    if (!ref.snapshotter || !ref.key)
      throw invalidArgument('snapshot reference needs a snapshotter and a key');
    this.sql.addSnapshot.run(owner.kind, owner.id, ref.snapshotter, ref.key);
  }

  /** Drops one held snapshot; a no-op if it was not held. */
  removeSnapshot(owner: RefOwner, ref: SnapshotRef): void {
    this.sql.removeSnapshot.run(owner.kind, owner.id, ref.snapshotter, ref.key);
  }

  /** The snapshots `owner` holds. */
  listSnapshots(owner: RefOwner): SnapshotRef[] {
    return this.sql.listSnapshots.all(owner.kind, owner.id);
  }

  /** Drops every reference `owner` holds, as when it is deleted. */
  deleteOwner(owner: RefOwner): void {
    this.ctx.db.transaction(() => {
      this.sql.dropContent.run(owner.kind, owner.id);
      this.sql.dropSnapshots.run(owner.kind, owner.id);
    })();
  }

  /** Every reference as a graph edge, for marking. */
  edges(): GraphEdge[] {
    const content = this.sql.allContent.all().map((row) => ({
      owner: { kind: row.owner_kind, id: row.owner_id },
      node: contentNode(row.digest),
    }));
    const snapshots = this.sql.allSnapshots.all().map((row) => ({
      owner: { kind: row.owner_kind, id: row.owner_id },
      node: snapshotNode(row),
    }));
    return [...content, ...snapshots];
  }
}

function checkOwner(owner: RefOwner): void {
  if (!OWNER_KINDS.has(owner.kind)) throw invalidArgument(`unknown reference owner kind ${owner.kind}`);
  if (owner.id === '') throw invalidArgument('reference owner id must not be empty');
}
