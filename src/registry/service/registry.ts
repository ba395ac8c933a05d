import type { Digest } from '../../core/digest.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { registryError } from '../errors.js';
import type { MetadataStore, Page, StorageUsage } from '../metadata/store.js';
import type { StorageDriver } from '../storage/driver.js';
import { createRepositoryBlobs, type RepositoryBlobs } from './blobs.js';
import { DEFAULT_LIMITS, type RegistryContext, type RegistryLimits } from './context.js';
import { createRepositoryManifests, type RepositoryManifests, referrersIndex } from './manifests.js';
import { createRepositoryUploads, createUploadSessions, type RepositoryUploads } from './uploads.js';

/** One repository's content (Verdaccio's per-package `StorageHandler`, here per repository). */
export interface Repository {
  readonly name: string;
  readonly blobs: RepositoryBlobs;
  readonly uploads: RepositoryUploads;
  readonly manifests: RepositoryManifests;
  /** Sorted tags after `page.last`; NAME_UNKNOWN for a repository never pushed to. */
  tags(page: Page): Promise<string[]>;
  /** The referrers index of a subject digest (an empty index when none). */
  referrers(digest: Digest, artifactType?: string): Promise<{ index: Buffer; filtered: boolean }>;
}

/** The registry as a whole (Verdaccio's `Storage`): repositories and what spans them. */
export interface Registry {
  readonly context: RegistryContext;
  /** A repository by validated name; it need not exist yet. */
  repository(name: string): Repository;
  /** Sorted repository names after `page.last`. */
  catalog(page: Page): Promise<string[]>;
  /** Bytes and blobs in the blob store. */
  usage(): Promise<StorageUsage>;
  /** Open upload sessions. */
  uploadSessions(): Promise<number>;
  /** Whether this process is writing a chunk of the session right now (expiry must wait). */
  uploadInProgress(id: string): boolean;
  close(): Promise<void>;
}

/** Options for {@link createRegistry}. */
export interface RegistryOptions {
  storage: StorageDriver;
  metadata: MetadataStore;
  limits?: Partial<RegistryLimits>;
  logger?: Logger;
  now?: () => number;
}

/** Builds the registry services over a storage driver and a metadata store. */
export function createRegistry(options: RegistryOptions): Registry {
  const context: RegistryContext = {
    storage: options.storage,
    metadata: options.metadata,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    logger: options.logger ?? silentLogger,
    recentlyTouched: new Map(),
    now: options.now ?? Date.now,
  };
  const sessions = createUploadSessions();
  return {
    context,
    repository(name) {
      return {
        name,
        blobs: createRepositoryBlobs(context, name),
        uploads: createRepositoryUploads(context, name, sessions),
        manifests: createRepositoryManifests(context, name),
        async tags(page) {
          const tags = await context.metadata.listTags(name, page);
          if (!tags) throw registryError('NAME_UNKNOWN', { detail: { name } });
          return tags;
        },
        referrers: (digest, artifactType) => referrersIndex(context, name, digest, artifactType),
      };
    },
    catalog: (page) => context.metadata.listRepositories(page),
    usage: () => context.metadata.storageUsage(),
    async uploadSessions() {
      return (await context.metadata.listUploads()).length;
    },
    uploadInProgress: (id) => sessions.writing.has(id),
    close: () => context.metadata.close(),
  };
}
