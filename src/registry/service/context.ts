import type { Digest } from '../../core/digest.js';
import type { Logger } from '../../core/logger.js';
import type { MetadataStore } from '../metadata/store.js';
import type { StorageDriver } from '../storage/driver.js';

/** Limits the registry enforces on what clients send. */
export interface RegistryLimits {
  /** Largest manifest accepted, in bytes (the spec asks for at least 4 MiB). */
  manifestMaxBytes: number;
  /** Largest blob accepted by an upload, in bytes; 0 for no limit. */
  blobMaxBytes: number;
  /** Default and largest `n` of the tags and catalog listings. */
  pageSize: number;
  /**
   * How long after its last use a blob or link is spared by GC: covers the
   * window between a client's blob HEAD (or upload) and its manifest PUT.
   */
  gcGracePeriodMs: number;
}

/** Defaults for {@link RegistryLimits}. */
export const DEFAULT_LIMITS: RegistryLimits = {
  manifestMaxBytes: 4 * 1024 * 1024,
  blobMaxBytes: 0,
  pageSize: 1000,
  gcGracePeriodMs: 60 * 60 * 1000,
};

/** What every registry service is built from. */
export interface RegistryContext {
  storage: StorageDriver;
  metadata: MetadataStore;
  limits: RegistryLimits;
  logger: Logger;
  /** Blob links whose GC clock was refreshed lately, by `repository@digest` (saves a write per HEAD). */
  recentlyTouched: Map<string, number>;
  /** Current time in ms (a clock tests can move). */
  now(): number;
  /**
   * Called before a blob becomes part of a repository (upload or mount);
   * throws (DENIED) to refuse it, e.g. when a project's quota would be exceeded.
   */
  admitBlob?(repository: string, digest: Digest, size: number): Promise<void>;
  /**
   * Called before a tag is set or removed (directly, or with the manifest it
   * points to); throws (DENIED) to refuse, e.g. for an immutable tag.
   */
  guardTags?(repository: string, change: TagChange): Promise<void>;
}

/** What a manifest PUT or DELETE does to tags. */
export type TagChange =
  | { kind: 'set'; tag: string; digest: Digest }
  | { kind: 'remove'; tag: string }
  | { kind: 'remove-manifest'; digest: Digest };
