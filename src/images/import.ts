import type { ContentStore } from '../content/content.js';
import { DockerMediaType } from '../core/descriptor.js';
import { type Digest, sha256Of } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { LeaseStore } from '../metadata/leases.js';
import { decompressed } from '../snapshots/decompress.js';
import { applyChanges } from './changes.js';
import type { ImageConfig } from './config.js';
import { type EventSink, publishImageEvent } from './events.js';
import { type HeldLease, withLease } from './leases.js';
import { synthesizeManifest } from './manifest.js';
import { hostPlatform, normalizePlatform } from './platform.js';
import type { ImageRecords, StoredImage } from './records.js';
import { familiarString, parseNormalizedNamed, type Reference, tagNameOnly, withTag } from './reference.js';
import { nowRfc3339Nano } from './time.js';
import type { Unpacker } from './unpack.js';

/** What `docker import` asks for, as POST /images/create?fromSrc=- carries it. */
export interface ImportRequest {
  /** `repo` or `repo:tag`; empty for an unnamed image. */
  repo?: string;
  /** Overrides the tag in `repo`. */
  tag?: string;
  /** The image's comment. */
  message?: string;
  /** Dockerfile instructions for the config (CMD, ENV …). */
  changes?: readonly string[];
  /** `os/arch[/variant]`; the host's by default. */
  platform?: string;
  signal?: AbortSignal;
}

/** What an importer needs. */
export interface ImporterDeps {
  content: ContentStore;
  leases: LeaseStore;
  unpacker: Unpacker;
  records: ImageRecords;
  events: EventSink;
  /** Written into the config as `docker_version`, as dockerd writes its own. */
  engineVersion: string;
}

/**
 * `docker import`: a root filesystem tar (plain or compressed) becomes a
 * one-layer image. The tar is stored uncompressed, so its digest is the
 * layer's diff ID, as dockerd stores imported layers.
 */
export class ImageImporter {
  constructor(private readonly deps: ImporterDeps) {}

  /** Imports and returns the new image's ID. Arguments are checked before the body is read. */
  async import(rootfs: AsyncIterable<Buffer>, request: ImportRequest): Promise<Digest> {
    const ref = importReference(request.repo, request.tag);
    const runtimeConfig = applyChanges(request.changes ?? []);
    const platform = request.platform ? parsePlatform(request.platform) : hostPlatform();
    return withLease(this.deps.leases, 'import', async (lease) => {
      const layer = await this.storeLayer(rootfs, lease, request.signal);
      await this.deps.unpacker.unpack([{ blob: layer, diffId: layer.digest }], {
        leaseId: lease.id,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      const created = nowRfc3339Nano();
      const config: ImageConfig = {
        architecture: platform.architecture,
        ...(request.message ? { comment: request.message } : {}),
        config: runtimeConfig,
        created,
        docker_version: this.deps.engineVersion,
        history: [{ created, ...(request.message ? { comment: request.message } : {}) }],
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      };
      const stored = await this.storeImage(config, layer, lease);
      this.deps.records.register(stored, []);
      const labels = runtimeConfig.Labels ?? {};
      if (ref) {
        this.deps.records.tag(stored, ref);
        publishImageEvent(this.deps.events, 'tag', stored.id, familiarString(tagNameOnly(ref)), labels);
      }
      publishImageEvent(this.deps.events, 'import', stored.id, stored.id, labels);
      return stored.id;
    });
  }

  private async storeLayer(rootfs: AsyncIterable<Buffer>, lease: HeldLease, signal?: AbortSignal) {
    const { info } = await this.deps.content.write(decompressed(rootfs), {
      beforeCommit: lease.holdContent,
      ...(signal ? { signal } : {}),
    });
    return { mediaType: DockerMediaType.layer, digest: info.digest, size: info.size };
  }

  private async storeImage(
    config: ImageConfig,
    layer: { mediaType: string; digest: Digest; size: number },
    lease: HeldLease,
  ): Promise<StoredImage> {
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDescriptor = {
      mediaType: DockerMediaType.config,
      digest: sha256Of(configBytes),
      size: configBytes.length,
    };
    const manifestBytes = synthesizeManifest(configDescriptor, [{ ...layer, compression: 'none' }]);
    const target = {
      mediaType: DockerMediaType.manifest,
      digest: sha256Of(manifestBytes),
      size: manifestBytes.length,
    };
    for (const [bytes, digest] of [
      [configBytes, configDescriptor.digest],
      [manifestBytes, target.digest],
    ] as const) {
      lease.holdContent(digest);
      await this.deps.content.writeBytes(bytes, { digest });
    }
    return {
      id: configDescriptor.digest,
      target,
      config: configDescriptor,
      layers: [layer],
      chainIds: [layer.digest],
    };
  }
}

/** The name to import as, checked as dockerd checks it. */
function importReference(repo: string | undefined, tag: string | undefined): Reference | undefined {
  if (!repo) return undefined;
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw invalidArgument('cannot import digest reference');
  return tag ? withTag(ref, tag) : ref;
}

function parsePlatform(text: string) {
  const [os = '', architecture = '', variant] = text.split('/');
  if (os !== 'linux') throw invalidArgument(`operating system is not supported: ${os || text}`);
  const arch = architecture || hostPlatform().architecture;
  return normalizePlatform({ os, architecture: arch, ...(variant ? { variant } : {}) });
}
