import type { Digest } from '../../core/digest.js';

/** A page request of a sorted listing: entries after `last`, at most `limit`. */
export interface Page {
  last?: string;
  limit: number;
}

/** A manifest to store, with what it references (already parsed and validated). */
export interface ManifestRecord {
  repository: string;
  digest: Digest;
  mediaType: string;
  content: Buffer;
  artifactType?: string;
  subject?: Digest;
  annotations?: Record<string, string>;
  /** Config and layers: each must be linked to the repository. */
  blobs: Digest[];
  /** Index entries: each must be a manifest of the repository. */
  manifests: Digest[];
}

/** A stored manifest as served. */
export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  content: Buffer;
}

/** A manifest whose `subject` is a given digest (referrers API). */
export interface ReferrerRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An upload session as persisted (it survives restarts). */
export interface UploadRecord {
  id: string;
  repository: string;
  /** Bytes made durable so far; data past this after a crash is cut off. */
  size: number;
  startedAt: number;
  updatedAt: number;
}

/** What occupies the blob store. */
export interface StorageUsage {
  blobs: number;
  bytes: number;
}

/** A blob that GC is about to delete (or would, in a dry run). */
export interface BlobCandidate {
  digest: Digest;
  size: number;
}

/** The summary of one GC run, as recorded. */
export interface GcRunRecord {
  startedAt: number;
  finishedAt: number;
  dryRun: boolean;
  manifestsDeleted: number;
  linksDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
}

/**
 * The GC's view of metadata (split by role: the collector needs nothing else).
 * Every `cutoff` is a time in ms: records touched at or after it are spared.
 */
export interface GcStore {
  /** Deletes untagged manifests unreachable from any tag, index or live subject. */
  sweepUntaggedManifests(cutoff: number, dryRun: boolean): Promise<number>;
  /** Deletes repository→blob links that no manifest of the repository references. */
  sweepLinks(cutoff: number, dryRun: boolean): Promise<number>;
  /**
   * Picks blobs with no link and no reference left and marks them `deleting`
   * in one transaction, so a concurrent push of the same digest waits for the
   * sweep instead of racing it. A dry run only lists them.
   */
  markUnreferencedBlobs(cutoff: number, dryRun: boolean): Promise<BlobCandidate[]>;
  /** Forgets blobs marked `deleting` whose files are gone. */
  forgetBlobs(digests: readonly Digest[]): Promise<void>;
  /**
   * Blobs marked `deleting` by a sweep that never finished (its process was killed): nothing
   * references them and no push can claim them until they are deleted and forgotten.
   */
  listDeletingBlobs(): Promise<Digest[]>;
  /** Whether any blob record exists for the digest (orphan file check). */
  hasBlobRecord(digest: Digest): Promise<boolean>;
  /** Appends a run to the GC history. */
  recordGcRun(run: GcRunRecord): Promise<void>;
}

/**
 * The registry's data-access layer: every query about repositories, tags,
 * manifests, blob links and upload sessions goes through it, so SQLite and
 * (later) PostgreSQL are two implementations of one contract. Methods are
 * async for that reason even where SQLite answers synchronously.
 */
export interface MetadataStore extends GcStore {
  listRepositories(page: Page): Promise<string[]>;
  hasRepository(name: string): Promise<boolean>;

  /** The blob's size when it is linked to the repository and present; else undefined. */
  findLinkedBlob(repository: string, digest: Digest): Promise<{ size: number } | undefined>;
  /** Registry-wide size of a present blob. */
  findBlob(digest: Digest): Promise<{ size: number } | undefined>;
  /** Refreshes the GC grace period of the blob and its link (a client just saw it there). */
  touchBlob(repository: string, digest: Digest, now: number): Promise<void>;
  /**
   * Records that the blob's bytes are about to be put in the blob store. A new
   * record is `pending` — unreadable and unlinkable — until {@link confirmBlob}, so
   * a crash between the two leaves no record that promises a missing file (GC
   * collects a pending record left that way after the grace period; a new push of
   * the digest completes it). False while GC is deleting the same digest: the
   * caller retries shortly.
   */
  claimBlob(digest: Digest, size: number, now: number): Promise<boolean>;
  /** Marks a claimed blob `present` once its file is in place (nothing when it already is). */
  confirmBlob(digest: Digest): Promise<void>;
  /** Makes a present blob readable in a repository (creating the repository). */
  linkBlob(repository: string, digest: Digest, now: number): Promise<void>;
  /** Removes a repository's link; false when there was none. */
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;

  createUpload(upload: UploadRecord): Promise<void>;
  findUpload(id: string): Promise<UploadRecord | undefined>;
  setUploadSize(id: string, size: number, now: number): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** Sessions not updated since `before` (expiry), or all when omitted. */
  listUploads(before?: number): Promise<UploadRecord[]>;

  /**
   * Stores a manifest and optionally points a tag at it, in one transaction
   * that first checks every reference (MANIFEST_BLOB_UNKNOWN otherwise).
   */
  putManifest(record: ManifestRecord, tag: string | undefined, now: number): Promise<void>;
  findManifest(repository: string, digest: Digest): Promise<StoredManifest | undefined>;
  resolveTag(repository: string, tag: string): Promise<Digest | undefined>;
  /** Deletes a manifest and every tag on it; false when unknown. */
  deleteManifest(repository: string, digest: Digest): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Sorted tags, or undefined when the repository is unknown. */
  listTags(repository: string, page: Page): Promise<string[] | undefined>;
  listReferrers(repository: string, subject: Digest): Promise<ReferrerRecord[]>;

  storageUsage(): Promise<StorageUsage>;
  close(): Promise<void>;
}
