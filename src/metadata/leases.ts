import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Digest } from '../core/digest.js';
import { alreadyExists, invalidArgument, notFound } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { type LabelFilter, type Labels, matchesLabels, parseLabels, validateLabels } from './labels.js';
import type { ReferenceStore, SnapshotRef } from './refs.js';

/**
 * A lease keeps what it holds alive until it is deleted or expires. Every pull,
 * build and unpack takes one first, so a concurrent garbage collection cannot
 * collect half-written work (containerd's leases).
 */
export interface Lease {
  id: string;
  createdAt: Date;
  /** Absent: the lease lasts until deleted. */
  expiresAt?: Date;
  labels: Labels;
}

/** How to make a lease. */
export interface NewLease {
  /** Chosen by the store when absent. */
  id?: string;
  /** Lifetime from now; a crashed client's lease then frees its content by itself. */
  ttlMs?: number;
  labels?: Labels;
}

/** What a lease can hold. */
export type LeaseResource = { kind: 'content'; digest: Digest } | ({ kind: 'snapshot' } & SnapshotRef);

interface LeaseRow {
  id: string;
  created_at: number;
  expires_at: number | null;
  labels: string;
}

/** Lease records, in containerd's CRUD shape. Resources are references owned by the lease. */
export class LeaseStore {
  private readonly sql: {
    get: Statement<[string], LeaseRow>;
    list: Statement<[], LeaseRow>;
    expired: Statement<[number], { id: string }>;
    insert: Statement<[string, number, number | null, string]>;
    delete: Statement<[string]>;
  };

  constructor(
    private readonly ctx: StoreContext,
    private readonly refs: ReferenceStore,
  ) {
    const db = ctx.db;
    this.sql = {
      get: db.prepare('SELECT id, created_at, expires_at, labels FROM leases WHERE id = ?'),
      list: db.prepare('SELECT id, created_at, expires_at, labels FROM leases ORDER BY created_at, id'),
      expired: db.prepare(
        'SELECT id FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY id',
      ),
      insert: db.prepare('INSERT INTO leases (id, created_at, expires_at, labels) VALUES (?, ?, ?, ?)'),
      delete: db.prepare('DELETE FROM leases WHERE id = ?'),
    };
  }

  /** The lease `id`; NotFound if there is none. */
  get(id: string): Lease {
    const row = this.sql.get.get(id);
    if (!row) throw leaseNotFound(id);
    return toLease(row);
  }

  /** Every lease (expired ones too, until a collection deletes them), oldest first. */
  list(filter: { labels?: LabelFilter } = {}): Lease[] {
    return this.sql.list
      .all()
      .map(toLease)
      .filter((lease) => matchesLabels(lease.labels, filter.labels));
  }

  /** Creates a lease; AlreadyExists if the id is taken. */
  create(lease: NewLease = {}): Lease {
    const id = lease.id ?? newLeaseId(this.ctx.now());
    if (id === '') throw invalidArgument('lease id must not be empty');
    if (lease.ttlMs !== undefined && !(lease.ttlMs > 0)) throw invalidArgument('lease ttl must be positive');
    const labels = validateLabels(lease.labels);
    const now = this.ctx.now();
    const expiresAt = lease.ttlMs === undefined ? null : now + lease.ttlMs;
    return this.ctx.db.transaction(() => {
      if (this.sql.get.get(id)) throw alreadyExists(`lease "${id}": already exists`);
      this.sql.insert.run(id, now, expiresAt, JSON.stringify(labels));
      return this.get(id);
    })();
  }

  /** Deletes a lease and drops everything it held; NotFound if there is none. */
  delete(id: string): void {
    this.ctx.db.transaction(() => {
      if (this.sql.delete.run(id).changes === 0) throw leaseNotFound(id);
      this.refs.deleteOwner({ kind: 'lease', id });
    })();
  }

  /**
   * Makes the lease hold a resource. Add it before writing or reusing the blob
   * or snapshot, so a collection running meanwhile keeps it.
   */
  addResource(id: string, resource: LeaseResource): void {
    this.ctx.db.transaction(() => {
      this.get(id);
      if (resource.kind === 'content') this.refs.addContent({ kind: 'lease', id }, [resource.digest]);
      else this.refs.addSnapshot({ kind: 'lease', id }, resource);
    })();
  }

  /** Lets go of a resource; NotFound if the lease does not exist. */
  deleteResource(id: string, resource: LeaseResource): void {
    this.ctx.db.transaction(() => {
      this.get(id);
      if (resource.kind === 'content') this.refs.removeContent({ kind: 'lease', id }, resource.digest);
      else this.refs.removeSnapshot({ kind: 'lease', id }, resource);
    })();
  }

  /** What the lease holds, content first. */
  listResources(id: string): LeaseResource[] {
    this.get(id);
    const owner = { kind: 'lease', id } as const;
    return [
      ...this.refs.listContent(owner).map((digest) => ({ kind: 'content', digest }) as const),
      ...this.refs.listSnapshots(owner).map((ref) => ({ kind: 'snapshot', ...ref }) as const),
    ];
  }

  /** Deletes every lease expired at `now` and returns their ids; run by garbage collection. */
  deleteExpired(now: number): string[] {
    return this.ctx.db.transaction(() => {
      const ids = this.sql.expired.all(now).map((row) => row.id);
      for (const id of ids) this.delete(id);
      return ids;
    })();
  }
}

function toLease(row: LeaseRow): Lease {
  const lease: Lease = { id: row.id, createdAt: new Date(row.created_at), labels: parseLabels(row.labels) };
  if (row.expires_at !== null) lease.expiresAt = new Date(row.expires_at);
  return lease;
}

/** Like containerd's lease ids: a time prefix that sorts, then randomness. */
function newLeaseId(now: number): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

function leaseNotFound(id: string) {
  return notFound(`lease "${id}": not found`);
}
