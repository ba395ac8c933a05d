/**
 * Unpacking layers while an archive is still streaming in. A docker-save
 * archive names its layers' order only at the end (manifest.json comes
 * last), but an overlay layer directory does not depend on the layers below
 * it: whiteouts stay whiteouts. So each file that looks like a layer is
 * applied, as it arrives, into a snapshot without parent; once the order is
 * known, the unpacker moves that directory under the right parent (see
 * Unpacker), instead of reading the layer a second time.
 */
import { randomBytes } from 'node:crypto';
import type { Digest } from '../core/digest.js';
import type { LeaseStore } from '../metadata/leases.js';
import { applyLayer } from '../snapshots/apply.js';
import { detectCompression } from '../snapshots/decompress.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { decodeHeader } from '../snapshots/tar/format.js';
import { ChunkQueue } from './archive/chunk-queue.js';
import type { FileTap } from './archive/spool.js';
import { EXTRACT_PREFIX, layerDirectory, snapshotRef } from './layers.js';

/** A layer already unpacked into an active snapshot without parent. */
export interface EarlyLayer {
  /** The active snapshot's key. */
  key: string;
  /** Its layer directory. */
  dir: string;
  diffId: Digest;
}

/** What early unpacking needs. */
export interface EarlyUnpackDeps {
  snapshotter: Snapshotter;
  leases: LeaseStore;
  leaseId: string;
  signal?: AbortSignal;
}

/**
 * Starts speculative unpacks for an archive's large files and keeps the ones
 * that turned out to be layers. Everything it creates is held by the lease;
 * `discard` removes what was not used.
 */
export class EarlyUnpacker {
  private readonly pending: Promise<void>[] = [];
  /** Unpacked layers by archive path; diffId is missing for plain tars until settle. */
  private readonly done = new Map<string, Omit<EarlyLayer, 'diffId'> & { diffId?: Digest }>();
  private byBlob = new Map<Digest, EarlyLayer>();
  private readonly taken = new Set<string>();

  constructor(private readonly deps: EarlyUnpackDeps) {}

  /** A tap for the archive file at `path`: its chunks are applied as they pass. */
  tap(path: string): FileTap {
    const queue = new ChunkQueue();
    let started = false;
    return {
      push: async (chunk) => {
        if (!started) {
          started = true;
          if (!looksLikeLayer(chunk)) return queue.end();
          this.pending.push(this.unpack(path, queue, detectCompression(chunk) === 'none'));
        }
        await queue.push(chunk);
      },
      end: () => queue.end(),
      fail: (error) => queue.fail(error),
    };
  }

  /**
   * Waits for every unpack started, then indexes the layers that worked by
   * the digest of the blob they came from (`blobOf` maps an archive path to it).
   */
  async settle(blobOf: (path: string) => Digest | undefined): Promise<void> {
    await Promise.all(this.pending);
    for (const [path, layer] of this.done) {
      const digest = blobOf(path);
      if (digest === undefined || this.byBlob.has(digest)) continue;
      // A plain tar's DiffID is the digest the content store computed over the same bytes.
      this.byBlob.set(digest, { ...layer, diffId: layer.diffId ?? digest });
    }
  }

  /** Hands over the early layer made from `blob`, if it has the expected diff ID; each goes once. */
  take(blob: Digest, diffId: Digest): EarlyLayer | undefined {
    const layer = this.byBlob.get(blob);
    if (!layer || layer.diffId !== diffId) return undefined;
    this.byBlob.delete(blob);
    this.taken.add(layer.key);
    return layer;
  }

  /** Removes the snapshots nobody took over. */
  async discard(): Promise<void> {
    await Promise.all(this.pending);
    for (const layer of this.done.values()) {
      if (!this.taken.has(layer.key)) await this.deps.snapshotter.remove(layer.key).catch(() => undefined);
    }
    this.byBlob = new Map();
  }

  /**
   * Applies one file. A plain (uncompressed) tar is not hashed here: its
   * bytes are the blob's, which the content store hashes as they pass, so
   * its DiffID is that digest, known at settle.
   */
  private async unpack(path: string, queue: ChunkQueue, plain: boolean): Promise<void> {
    const { snapshotter, leases, leaseId, signal } = this.deps;
    const key = `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-early`;
    leases.addResource(leaseId, { kind: 'snapshot', ...snapshotRef(key) });
    let prepared = false;
    try {
      const dir = layerDirectory(await snapshotter.prepare(key));
      prepared = true;
      const applied = await applyLayer(dir, queue, {
        ...(signal ? { signal } : {}),
        ...(snapshotter.idMap ? { idMap: snapshotter.idMap } : {}),
        hash: !plain,
      });
      this.done.set(path, { key, dir, ...(plain ? {} : { diffId: applied.diffID as Digest }) });
    } catch {
      // Not a layer after all, or a broken one: the regular unpack will read it again and report why.
      queue.abandon();
      if (prepared) await snapshotter.remove(key).catch(() => undefined);
    }
  }
}

/** A tar, gzip or zstd stream: worth unpacking early. */
function looksLikeLayer(head: Buffer): boolean {
  if (detectCompression(head) !== 'none') return true;
  if (head.length < 512) return false;
  try {
    decodeHeader(head.subarray(0, 512));
    return true;
  } catch {
    return false;
  }
}
