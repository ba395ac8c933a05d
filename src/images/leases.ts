import type { Digest } from '../core/digest.js';
import type { LeaseStore } from '../metadata/leases.js';

/** Label on every lease the image service takes; its value says what for. */
export const IMAGE_LEASE_LABEL = 'io.berth.images.lease';

/** A lease held for the length of one operation. */
export interface HeldLease {
  id: string;
  /** Takes a blob into the lease; call before writing or reusing it. */
  holdContent(digest: Digest): void;
}

/**
 * Runs `work` under a new lease that is deleted afterwards, whether the work
 * succeeds or not. What the work stored and did not hand over to an image
 * record is then garbage.
 */
export async function withLease<T>(
  leases: LeaseStore,
  purpose: string,
  work: (lease: HeldLease) => Promise<T>,
): Promise<T> {
  const { id } = leases.create({ labels: { [IMAGE_LEASE_LABEL]: purpose } });
  try {
    return await work({ id, holdContent: (digest) => leases.addResource(id, { kind: 'content', digest }) });
  } finally {
    leases.delete(id);
  }
}

/**
 * Deletes the leases an earlier berthd left behind: only a crash leaves one,
 * since one daemon owns a data root. Returns their ids.
 */
export function dropStaleLeases(leases: LeaseStore): string[] {
  const stale = leases.list({ labels: { [IMAGE_LEASE_LABEL]: true } });
  for (const lease of stale) leases.delete(lease.id);
  return stale.map((lease) => lease.id);
}

/**
 * Holds `digests` under a new lease until `stream` ends, fails or is
 * abandoned: a save streams blobs for as long as the client reads, and a
 * concurrent rmi must not collect them meanwhile. The lease also expires on
 * its own, in case the stream is dropped before it starts.
 */
export function holdWhileStreaming(
  leases: LeaseStore,
  digests: Iterable<Digest>,
  stream: AsyncIterable<Buffer>,
): AsyncIterable<Buffer> {
  const { id } = leases.create({ labels: { [IMAGE_LEASE_LABEL]: 'save' }, ttlMs: SAVE_LEASE_TTL_MS });
  for (const digest of digests) leases.addResource(id, { kind: 'content', digest });
  return (async function* () {
    try {
      yield* stream;
    } finally {
      leases.delete(id);
    }
  })();
}

/** How long a save's lease lasts at most. */
const SAVE_LEASE_TTL_MS = 24 * 60 * 60 * 1000;
