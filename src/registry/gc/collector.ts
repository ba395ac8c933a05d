import type { Digest } from '../../core/digest.js';
import type { Logger } from '../../core/logger.js';
import type { MetadataStore } from '../metadata/store.js';
import type { StorageDriver } from '../storage/driver.js';

/** Options of one GC run. */
export interface GcRunOptions {
  /** Report what would go, delete nothing. */
  dryRun?: boolean;
  /** Also delete manifests no tag reaches (directly, through an index, or as a referrer). */
  deleteUntagged?: boolean;
}

/** What a run freed (or, dry, would free). */
export interface GcReport {
  dryRun: boolean;
  manifestsDeleted: number;
  linksDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
  /** Blob files without a record (left by a crash between rename and commit). */
  orphanFilesDeleted: number;
  durationMs: number;
}

/** Online mark-and-sweep over metadata and blob storage; one run at a time. */
export interface GarbageCollector {
  run(options?: GcRunOptions): Promise<GcReport>;
  /**
   * Finishes the blob deletions of a sweep that was killed: until then pushes of those
   * digests wait on them and fail. Returns how many it finished.
   */
  finishInterruptedSweeps(): Promise<number>;
  /**
   * Drops sessions whose data file is missing (a crash between writing the row and creating
   * the file). Only at start: while serving, a new session briefly has a row and no file.
   */
  dropSessionsWithoutData(): Promise<number>;
  /** Drops upload sessions idle for longer than `maxIdleMs`, and session files without a record. */
  purgeUploads(maxIdleMs: number): Promise<number>;
}

/** What the collector needs. */
export interface GarbageCollectorDeps {
  storage: StorageDriver;
  metadata: MetadataStore;
  logger: Logger;
  /** Records younger than this are never collected: pushes in flight stay safe. */
  gracePeriodMs: number;
  now?: () => number;
  onRun?: (report: GcReport | undefined) => void;
  /** Sessions with a chunk being written now are not expired, however long the chunk takes. */
  uploadInProgress?: (id: string) => boolean;
}

/**
 * The algorithm (docs/registry.md, "Garbage collection"):
 * 1. optionally delete unreachable untagged manifests older than the grace period;
 * 2. delete repository→blob links no manifest of that repository references, older than the grace period;
 * 3. in one transaction, mark blobs with no link and no reference, untouched for the grace period, `deleting`;
 * 4. delete their files, then their records;
 * 5. delete blob files that have no record at all and are older than the grace period.
 * Pushes claim a blob's record before renaming its file and wait while it is
 * `deleting`, so a sweep never removes a file a push has just written.
 */
export function createGarbageCollector(deps: GarbageCollectorDeps): GarbageCollector {
  const now = deps.now ?? Date.now;
  let running: Promise<GcReport> | undefined;

  const collect = async (options: GcRunOptions): Promise<GcReport> => {
    const started = now();
    const dryRun = options.dryRun ?? false;
    const cutoff = started - deps.gracePeriodMs;
    const { metadata } = deps;
    const manifestsDeleted = options.deleteUntagged
      ? await metadata.sweepUntaggedManifests(cutoff, dryRun)
      : 0;
    if (!dryRun) await finishInterrupted();
    const linksDeleted = await metadata.sweepLinks(cutoff, dryRun);
    const candidates = await metadata.markUnreferencedBlobs(cutoff, dryRun);
    if (!dryRun) await deleteBlobs(candidates.map((c) => c.digest));
    const orphanFilesDeleted = await sweepOrphanFiles(cutoff, dryRun);
    const report: GcReport = {
      dryRun,
      manifestsDeleted,
      linksDeleted,
      blobsDeleted: candidates.length,
      bytesFreed: candidates.reduce((sum, c) => sum + c.size, 0),
      orphanFilesDeleted,
      durationMs: now() - started,
    };
    await metadata.recordGcRun({ ...report, startedAt: started, finishedAt: now() });
    return report;
  };

  const deleteBlobs = async (digests: Digest[]) => {
    for (let i = 0; i < digests.length; i += 100) {
      const batch = digests.slice(i, i + 100);
      for (const digest of batch) await deps.storage.blobs.delete(digest);
      await deps.metadata.forgetBlobs(batch);
    }
  };

  const finishInterrupted = async () => {
    const stuck = await deps.metadata.listDeletingBlobs();
    // Deleting a file and forgetting a record twice is harmless, so a sweep still running elsewhere may overlap.
    await deleteBlobs(stuck);
    return stuck.length;
  };

  const sweepOrphanFiles = async (cutoff: number, dryRun: boolean) => {
    let deleted = 0;
    for await (const blob of deps.storage.blobs.walk()) {
      if (blob.modifiedAt >= cutoff || (await deps.metadata.hasBlobRecord(blob.digest))) continue;
      deleted++;
      if (!dryRun) await deps.storage.blobs.delete(blob.digest);
    }
    return deleted;
  };

  return {
    async run(options = {}) {
      // A second trigger while a run is going joins it rather than racing it.
      if (running) return running;
      running = collect(options);
      try {
        const report = await running;
        deps.logger.info('garbage collection finished', { ...report });
        deps.onRun?.(report);
        return report;
      } catch (err) {
        deps.onRun?.(undefined);
        throw err;
      } finally {
        running = undefined;
      }
    },
    finishInterruptedSweeps: finishInterrupted,
    async dropSessionsWithoutData() {
      let dropped = 0;
      for (const upload of await deps.metadata.listUploads()) {
        if ((await deps.storage.uploads.size(upload.id)) !== undefined) continue;
        await deps.metadata.deleteUpload(upload.id);
        dropped++;
      }
      return dropped;
    },
    async purgeUploads(maxIdleMs) {
      const busy = deps.uploadInProgress ?? (() => false);
      const expired = (await deps.metadata.listUploads(now() - maxIdleMs)).filter((u) => !busy(u.id));
      for (const upload of expired) {
        await deps.storage.uploads.remove(upload.id);
        await deps.metadata.deleteUpload(upload.id);
      }
      // Files first: a session started after this listing cannot be mistaken for an orphan.
      const files = await deps.storage.uploads.list();
      const known = new Set((await deps.metadata.listUploads()).map((u) => u.id));
      const orphans = files.filter((id) => !known.has(id));
      for (const id of orphans) await deps.storage.uploads.remove(id);
      return expired.length + orphans.length;
    },
  };
}
