/**
 * `docker push`: for each tag, the layers the registry lacks are uploaded
 * (after a HEAD shows they are missing, and a cross-repository mount from
 * the repository they were pulled from was refused), in parallel up to
 * max-concurrent-uploads, then the config, then the manifest exactly as
 * stored: the digest the registry names is the one every other client sees.
 */
import { PassThrough } from 'node:stream';
import type { Descriptor } from '../core/descriptor.js';
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind, notFound, unauthenticated } from '../core/errors.js';
import { shortId } from '../images/chain.js';
import { parseRecordName, recordNameOf } from '../images/names.js';
import {
  familiarName,
  familiarString,
  formatReference,
  type Reference,
  referenceName,
  withTag,
} from '../images/reference.js';
import type { ImageStoreAccess } from '../images/service.js';
import type { AuthConfig } from './auth-config.js';
import type { RegistryConnector } from './connect.js';
import { layerProgress, layerStatus, type ProgressSink, runLimited, throttled } from './progress.js';
import { SOURCE_NS } from './pull.js';
import type { RepositoryClient } from './repository.js';
import { unauthorizedError } from './session.js';
import { discard } from './transport.js';

/** One push of a tag, or of every tag of a repository. */
export interface PushRequest {
  /** Normalised; without a tag, every local tag of the repository is pushed. */
  ref: Reference;
  auth: AuthConfig;
  maxConcurrentUploads: number;
  report: ProgressSink;
  signal?: AbortSignal;
}

/** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size. */
const CHUNK_SIZE = 32 * 1024 * 1024;

/** Pushes images from the image stores. */
export class Pusher {
  constructor(
    private readonly stores: ImageStoreAccess,
    private readonly connector: RegistryConnector,
  ) {}

  async push(request: PushRequest): Promise<void> {
    const { ref, report } = request;
    const tags = this.tagsToPush(ref);
    report({ status: `The push refers to repository [${referenceName(ref)}]` });
    const { repo } = await this.connector.open(
      { registry: ref.domain, path: ref.path },
      request.auth,
      { forPull: false, actions: 'pull,push', extraScopes: await this.mountScopes(tags) },
      async (repo) => {
        // dockerd reports a push without credentials as the bare "no basic auth credentials".
        const res = await repo.session.ping(request.signal).catch((err: unknown) => {
          if (!isKind(err, ErrorKind.Unauthenticated)) throw err;
          throw unauthenticated((err as Error).message.replace(/^\w+ "[^"]*": /, ''), err);
        });
        if (res.statusCode === 401) throw await unauthorizedError(res, '');
        discard(res);
      },
    );
    for (const tag of tags) await this.pushTag(repo, tag, request);
  }

  /**
   * Pull scopes for the repositories of the same registry the layers came
   * from: a token registry mounts a blob only if the token may read its source.
   */
  private async mountScopes(tags: readonly Reference[]): Promise<string[]> {
    const { catalog, metadata } = this.stores;
    const sources = new Set<string>();
    for (const tag of tags) {
      const entry = await catalog.resolve(formatReference(tag));
      for (const layer of entry.parsedManifest.layers) {
        const source = metadata.kv.get(SOURCE_NS, layer.digest);
        const prefix = `${tag.domain}/`;
        if (source?.startsWith(prefix) && source.slice(prefix.length) !== tag.path) {
          sources.add(`repository:${source.slice(prefix.length)}:pull`);
        }
      }
    }
    return [...sources];
  }

  /** The tags to push: the one asked for, or all of the repository's (docker's error when none). */
  private tagsToPush(ref: Reference): Reference[] {
    if (ref.tag !== undefined || ref.digest !== undefined) {
      if (!this.stores.records.find(recordNameOf(ref))) {
        throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
      }
      return [ref];
    }
    const prefix = `${referenceName(ref)}:`;
    const tags = this.stores.metadata.images
      .list()
      .filter((record) => record.name.startsWith(prefix))
      .map((record) => parseRecordName(record.name))
      .flatMap((parsed) => (parsed.kind === 'tag' ? [withTag(ref, parsed.ref.tag)] : []));
    if (tags.length === 0)
      throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    return tags;
  }

  private async pushTag(repo: RepositoryClient, ref: Reference, request: PushRequest): Promise<void> {
    const { catalog, content, metadata, events } = this.stores;
    const entry = await catalog.resolve(formatReference(ref));
    const manifestBytes = await content.readAll(entry.manifest.digest);
    const layers = entry.parsedManifest.layers;
    const diffIds = entry.config.rootfs.diff_ids;
    const ids = layers.map((_, i) => shortId(diffIds[i] ?? layers[i]!.digest));
    for (const id of ids) request.report(layerStatus(id, 'Preparing'));
    for (const id of ids.slice(request.maxConcurrentUploads)) request.report(layerStatus(id, 'Waiting'));
    await runLimited(layers, request.maxConcurrentUploads, (layer, i) =>
      this.pushLayer(repo, ref, layer, ids[i]!, request),
    );
    await this.pushBlob(repo, entry.parsedManifest.config, request.signal);
    const tag = ref.tag ?? ref.digest ?? 'latest';
    const digest = await repo.putManifest(tag, entry.manifest.mediaType, manifestBytes, request.signal);
    metadata.transaction(() => {
      for (const layer of layers) metadata.kv.set(SOURCE_NS, layer.digest, `${ref.domain}/${ref.path}`);
      // As dockerd: the pushed manifest's digest becomes one of the image's RepoDigests.
      this.stores.records.register(
        {
          id: entry.id,
          target: { mediaType: entry.manifest.mediaType, digest, size: manifestBytes.length },
          config: entry.parsedManifest.config,
          layers,
          chainIds: entry.chainIds,
        },
        [{ domain: ref.domain, path: ref.path, digest }],
      );
    });
    request.report({ status: `${tag}: digest: ${digest} size: ${manifestBytes.length}` });
    request.report({
      status: '',
      progressDetail: {},
      aux: { Tag: tag, Digest: digest, Size: manifestBytes.length },
    });
    events.publish({
      type: 'image',
      action: 'push',
      id: familiarString(ref),
      attributes: { name: familiarName(ref) },
    });
  }

  private async pushLayer(
    repo: RepositoryClient,
    ref: Reference,
    layer: Descriptor,
    id: string,
    request: PushRequest,
  ): Promise<void> {
    const { signal, report } = request;
    if (await repo.hasBlob(layer.digest, signal)) {
      report(layerStatus(id, 'Layer already exists'));
      return;
    }
    const source = this.stores.metadata.kv.get(SOURCE_NS, layer.digest);
    const from = source?.startsWith(`${ref.domain}/`) ? source.slice(ref.domain.length + 1) : undefined;
    const started = await repo.startUpload({
      digest: layer.digest,
      ...(from && from !== ref.path ? { mountFrom: from } : {}),
      ...(signal ? { signal } : {}),
    });
    if (started.mounted) {
      report(layerStatus(id, `Mounted from ${from}`));
      return;
    }
    const progress = throttled(
      (current) => report(layerProgress(id, 'Pushing', current, layer.size)),
      layer.size,
    );
    await this.upload(repo, started.location, layer, progress, signal);
    report(layerStatus(id, 'Pushed'));
  }

  /** Uploads a blob unless the registry has it already (no progress: the config). */
  private async pushBlob(repo: RepositoryClient, blob: Descriptor, signal?: AbortSignal): Promise<void> {
    if (await repo.hasBlob(blob.digest, signal)) return;
    const started = await repo.startUpload(signal ? { signal } : {});
    if (!started.mounted) await this.upload(repo, started.location, blob, () => {}, signal);
  }

  private async upload(
    repo: RepositoryClient,
    location: string,
    blob: Descriptor,
    onBytes: (current: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const { content } = this.stores;
    const size = (await content.info(blob.digest)).size;
    let sent = 0;
    const body = (offset: number, length: number) => () => {
      const stream = content.readStream(blob.digest, { offset, length });
      const out = new PassThrough();
      stream.then(
        (readable) => {
          readable.on('data', (chunk: Buffer) => {
            sent = Math.max(sent, offset) + chunk.length;
            onBytes(Math.min(sent, size));
          });
          readable.on('error', (err) => out.destroy(err));
          readable.pipe(out);
        },
        (err: unknown) => out.destroy(err as Error),
      );
      return out;
    };
    if (size <= CHUNK_SIZE) {
      await repo.putBlob(location, blob.digest as Digest, size, body(0, size), signal);
    } else {
      const chunks = [];
      for (let offset = 0; offset < size; offset += CHUNK_SIZE) {
        const length = Math.min(CHUNK_SIZE, size - offset);
        chunks.push({ offset, length, body: body(offset, length) });
      }
      await repo.putBlobChunked(location, blob.digest, chunks, signal);
    }
    onBytes(size);
  }
}
