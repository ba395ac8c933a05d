/**
 * `docker pull`: resolve the reference on the first endpoint that answers,
 * choose the platform's manifest, then fetch the config and the missing
 * layers in parallel. Each layer is verified against its digest while it
 * streams into the content store and, through the same bytes, decompressed
 * and unpacked into a snapshot (EarlyUnpacker); nothing is read twice.
 * Everything is held by one lease and the image is named only at the end,
 * so a failure (a digest mismatch, a kill -9) leaves no image and only
 * garbage that the next collection removes.
 */
import { type Descriptor, isIndexMediaType, type Platform } from '../core/descriptor.js';
import { type Digest, sha256Of } from '../core/digest.js';
import { ErrorKind, invalidArgument, isKind, notFound, unauthenticated } from '../core/errors.js';
import { chainIds, shortId } from '../images/chain.js';
import { type ImageConfig, parseImageConfig } from '../images/config.js';
import { EarlyUnpacker } from '../images/early-unpack.js';
import { layerFacts } from '../images/layers.js';
import { type HeldLease, withLease } from '../images/leases.js';
import { type ImageManifest, parseIndex, parseManifest } from '../images/manifest.js';
import { IMAGE_ID_LABEL, recordNameOf } from '../images/names.js';
import {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  platformRank,
  selectPlatformManifest,
} from '../images/platform.js';
import type { StoredImage } from '../images/records.js';
import { familiarName, familiarString, type Reference } from '../images/reference.js';
import type { ImageStoreAccess } from '../images/service.js';
import type { AuthConfig } from './auth-config.js';
import { blobSource } from './blob-source.js';
import type { RegistryConnector } from './connect.js';
import { layerProgress, layerStatus, type ProgressSink, runLimited, throttled } from './progress.js';
import type { FetchedManifest, RepositoryClient } from './repository.js';
import { readBody } from './transport.js';

/** One pull of one tag or digest. */
export interface PullRequest {
  /** Normalised, with a tag or a digest. */
  ref: Reference;
  platform?: Platform;
  /** The platform as the user wrote it, for messages. */
  platformText?: string;
  auth: AuthConfig;
  maxConcurrentDownloads: number;
  report: ProgressSink;
  signal?: AbortSignal;
}

/** Where a blob came from, for cross-repository mounts on a later push. */
export const SOURCE_NS = 'distribution.source';

/** Pulls images into the image stores. */
export class Puller {
  constructor(
    private readonly stores: ImageStoreAccess,
    private readonly connector: RegistryConnector,
  ) {}

  /** Pulls one reference; returns the image ID. */
  async pull(request: PullRequest): Promise<Digest> {
    const { ref, report } = request;
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const { repo, value: top } = await this.connector.open(
      { registry: ref.domain, path: ref.path },
      request.auth,
      { forPull: true, actions: 'pull' },
      (repo) => manifestOrMissing(repo, ref, reference, request.signal),
    );
    // As dockerd, only once the manifest is there: a missing one is an error status, not a stream.
    report({ status: `Pulling from ${ref.path}`, id: reference });
    const { manifest, parsed } = await this.platformManifest(repo, top, request);
    const existing = this.stores.records.find(recordNameOf(ref));
    if (
      existing &&
      existing.target.digest === recordTarget(top, manifest).digest &&
      (await this.complete(existing, request, parsed.config.digest))
    ) {
      report({ status: `Digest: ${top.digest}` });
      report({ status: `Status: Image is up to date for ${familiarString(ref)}` });
      return existing.labels[IMAGE_ID_LABEL] as Digest;
    }
    const id = await withLease(this.stores.metadata.leases, 'pull', (lease) =>
      this.fetchAndStore(repo, request, top, manifest, parsed, lease),
    );
    report({ status: `Digest: ${top.digest}` });
    report({ status: `Status: Downloaded newer image for ${familiarString(ref)}` });
    return id;
  }

  /** The manifest for the wanted platform (the top one itself if it is not an index). */
  private async platformManifest(repo: RepositoryClient, top: FetchedManifest, request: PullRequest) {
    if (!isIndexMediaType(top.mediaType)) return { manifest: top, parsed: parseManifest(top.bytes) };
    const index = parseIndex(top.bytes);
    const wanted = request.platform ?? hostPlatform();
    const chosen = selectPlatformManifest(index.manifests, wanted);
    if (!chosen) {
      const available = index.manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform!));
      throw notFound(
        `no matching manifest for ${formatPlatform(wanted)} in the manifest list entries (${repo.session.endpoint.registry}/${repo.path} has ${available.join(', ') || 'none'})`,
      );
    }
    const manifest = await repo.getManifest(chosen.digest, request.signal);
    return { manifest, parsed: parseManifest(manifest.bytes) };
  }

  /** Whether the image a record names still has all its snapshots. */
  private async complete(
    record: { labels: Record<string, string> },
    request: PullRequest,
    configDigest: Digest,
  ): Promise<boolean> {
    const entry = await this.stores.catalog
      .byId(record.labels[IMAGE_ID_LABEL] as Digest)
      .catch(() => undefined);
    if (!entry || entry.id !== configDigest) return false;
    checkPlatform(entry.config, request);
    for (const chainId of entry.chainIds)
      if (!(await layerFacts(this.stores.snapshotter, chainId))) return false;
    return true;
  }

  private async fetchAndStore(
    repo: RepositoryClient,
    request: PullRequest,
    top: FetchedManifest,
    manifest: FetchedManifest,
    parsed: ImageManifest,
    lease: HeldLease,
  ): Promise<Digest> {
    const { content, metadata, snapshotter, unpacker, records, events } = this.stores;
    const signal = request.signal;
    for (const blob of top === manifest ? [manifest] : [top, manifest]) {
      lease.holdContent(blob.digest);
      await content.writeBytes(blob.bytes, { digest: blob.digest });
    }
    const configBytes = await this.fetchConfig(repo, parsed.config, lease, signal);
    const config = parseImageConfig(configBytes);
    checkPlatform(config, request);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== parsed.layers.length) {
      throw invalidArgument(
        `layers from manifest don't match image configuration (${parsed.layers.length} layers, ${diffIds.length} diff IDs)`,
      );
    }
    const chain = chainIds(diffIds);
    const missing: { layer: Descriptor; index: number }[] = [];
    for (const [index, layer] of parsed.layers.entries()) {
      lease.holdContent(layer.digest);
      const present =
        (await layerFacts(snapshotter, chain[index]!)) && (await hasBlob(content, layer.digest));
      if (present) request.report(layerStatus(shortId(layer.digest), 'Already exists'));
      else missing.push({ layer, index });
    }
    for (const { layer } of missing) request.report(layerStatus(shortId(layer.digest), 'Pulling fs layer'));
    for (const { layer } of missing.slice(request.maxConcurrentDownloads)) {
      request.report(layerStatus(shortId(layer.digest), 'Waiting'));
    }
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const early = new EarlyUnpacker({
      snapshotter,
      leases: metadata.leases,
      leaseId: lease.id,
      signal: abort.signal,
    });
    const written = new Set<Digest>();
    try {
      await runLimited(missing, request.maxConcurrentDownloads, async ({ layer }) => {
        await this.download(repo, layer, early, lease, request.report, abort.signal);
        written.add(layer.digest);
      }).catch((err: unknown) => {
        abort.abort(err);
        throw err;
      });
      await early.settle((path) => (written.has(path as Digest) ? (path as Digest) : undefined));
      const byDiffId = new Map(
        parsed.layers.map((layer, i) => [shortId(diffIds[i]!), shortId(layer.digest)]),
      );
      const fetched = new Set(missing.map(({ layer }) => shortId(layer.digest)));
      await unpacker.unpack(
        parsed.layers.map((blob, i) => ({ blob, diffId: diffIds[i]! })),
        {
          leaseId: lease.id,
          early,
          signal: abort.signal,
          onProgress: ({ id, current, total }) => {
            const blobId = byDiffId.get(id) ?? id;
            if (!fetched.has(blobId)) return;
            request.report(layerProgress(blobId, 'Extracting', current, total));
            if (current >= total) request.report(layerStatus(blobId, 'Pull complete'));
          },
        },
      );
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
      await early.discard();
    }
    const configDescriptor = parsed.config;
    const stored: StoredImage = {
      id: configDescriptor.digest,
      target: recordTarget(top, manifest),
      config: configDescriptor,
      layers: parsed.layers,
      chainIds: chain,
    };
    const { ref } = request;
    const names: Reference[] = ref.digest
      ? [ref]
      : [ref, { domain: ref.domain, path: ref.path, digest: top.digest }];
    metadata.transaction(() => {
      if (top !== manifest) metadata.refs.addContent({ kind: 'content', id: top.digest }, [manifest.digest]);
      for (const layer of parsed.layers)
        metadata.kv.set(SOURCE_NS, layer.digest, `${ref.domain}/${ref.path}`);
      records.register(stored, names);
    });
    // dockerd's pull event: the actor is the reference pulled, its name the repository.
    events.publish({
      type: 'image',
      action: 'pull',
      id: familiarString(ref),
      attributes: { name: familiarName(ref) },
    });
    return stored.id;
  }

  private async fetchConfig(
    repo: RepositoryClient,
    descriptor: Descriptor,
    lease: HeldLease,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    lease.holdContent(descriptor.digest);
    if (await hasBlob(this.stores.content, descriptor.digest))
      return this.stores.content.readAll(descriptor.digest);
    const res = await repo.openBlob(descriptor.digest, 0, signal);
    const bytes = await readBody(res, 64 * 1024 * 1024);
    if (sha256Of(bytes) !== descriptor.digest) {
      throw invalidArgument(
        `image config verification failed for digest ${descriptor.digest} (registry ${repo.session.endpoint.url.host})`,
      );
    }
    await this.stores.content.writeBytes(bytes, { digest: descriptor.digest, size: descriptor.size });
    return bytes;
  }

  /** Downloads one layer into the content store, unpacking it on the way. */
  private async download(
    repo: RepositoryClient,
    layer: Descriptor,
    early: EarlyUnpacker,
    lease: HeldLease,
    report: ProgressSink,
    signal: AbortSignal,
  ): Promise<void> {
    const id = shortId(layer.digest);
    const onBytes = throttled(
      (current) => report(layerProgress(id, 'Downloading', current, layer.size)),
      layer.size,
    );
    const tap = early.tap(layer.digest);
    const source = blobSource(repo, layer, { signal, onBytes });
    // Network chunks are small (16–64 KiB); batching them makes fewer file writes and queue hops.
    async function* teed(): AsyncGenerator<Buffer> {
      for await (const chunk of batched(source, BATCH_BYTES)) {
        await tap.push(chunk);
        yield chunk;
      }
      tap.end();
    }
    try {
      await this.stores.content.write(teed(), {
        digest: layer.digest,
        size: layer.size,
        signal,
        beforeCommit: lease.holdContent,
      });
    } catch (err) {
      tap.fail(err);
      if (isKind(err, ErrorKind.InvalidArgument)) {
        throw invalidArgument(
          `filesystem layer verification failed for digest ${layer.digest} (registry ${repo.session.endpoint.url.host}: ${(err as Error).message})`,
          err,
        );
      }
      throw err;
    }
    report(layerStatus(id, 'Verifying Checksum'));
    report(layerStatus(id, 'Download complete'));
  }
}

/** GET the manifest, with docker's "manifest for X not found" on 404. */
async function manifestOrMissing(
  repo: RepositoryClient,
  ref: Reference,
  reference: string,
  signal?: AbortSignal,
) {
  try {
    return await repo.getManifest(reference, signal);
  } catch (err) {
    const text = (err as Error).message;
    if (/^(name unknown|denied|unauthorized)/.test(text.replace(/^.*? not found: /, ''))) {
      throw unauthenticated(
        `pull access denied for ${familiarString({ domain: ref.domain, path: ref.path })}, repository does not exist or may require 'docker login': ${text.replace(/^.*? not found: /, '')}`,
        err,
      );
    }
    if (isKind(err, ErrorKind.NotFound)) {
      const name = familiarString({
        domain: ref.domain,
        path: ref.path,
        ...(ref.digest ? { digest: ref.digest } : { tag: reference }),
      });
      throw notFound(
        `manifest for ${name} not found: ${(err as Error).message.replace(/^.*? not found: /, '')} (registry ${repo.session.endpoint.url.host})`,
        err,
      );
    }
    throw err;
  }
}

async function hasBlob(content: ImageStoreAccess['content'], digest: Digest): Promise<boolean> {
  try {
    await content.info(digest);
    return true;
  } catch (err) {
    if (isKind(err, ErrorKind.NotFound)) return false;
    throw err;
  }
}

/** A single-platform image for another platform is pulled with dockerd's warning. */
function checkPlatform(config: ImageConfig, request: PullRequest): void {
  if (!request.platform) return;
  const actual = normalizePlatform({
    os: config.os ?? 'linux',
    architecture: config.architecture ?? '',
    ...(config.variant ? { variant: config.variant } : {}),
  });
  if (platformRank(actual, request.platform) === undefined) {
    const name = familiarString({ domain: request.ref.domain, path: request.ref.path });
    request.report({
      status: `WARNING: image with reference ${name} was found but does not match the specified platform: wanted ${request.platformText ?? formatPlatform(request.platform)}, actual: ${formatPlatform(actual)}`,
    });
  }
}

/** Bytes gathered before a chunk goes on to the content store and the unpacker. */
const BATCH_BYTES = 1024 * 1024;

async function* batched(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, length);
      pending = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}

/**
 * What the image's records point at: the index (so RepoDigests name what was
 * pulled, as docker shows it), unless another platform than the host's was
 * asked for; records of an index stand for the host's platform, so those
 * point at the platform's manifest.
 */
function recordTarget(top: FetchedManifest, manifest: FetchedManifest): Descriptor {
  const descriptor = (m: FetchedManifest) => ({
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.bytes.length,
  });
  if (top === manifest) return descriptor(top);
  const hostChoice = selectPlatformManifest(parseIndex(top.bytes).manifests, hostPlatform());
  return hostChoice?.digest === manifest.digest ? descriptor(top) : descriptor(manifest);
}
