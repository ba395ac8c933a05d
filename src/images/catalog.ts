import type { Descriptor } from '../core/descriptor.js';
import type { Digest } from '../core/digest.js';
import { ErrorKind, isKind, notFound } from '../core/errors.js';
import type { Image } from '../metadata/images.js';
import type { MetadataStore } from '../metadata/store.js';
import type { ParsedBlobs } from './blob-cache.js';
import { chainIds } from './chain.js';
import type { ImageConfig } from './config.js';
import type { ImageManifest } from './manifest.js';
import { type ImageNames, namesOf, recordImageId, recordNameOf } from './names.js';
import {
  familiarString,
  parseAnyReference,
  type Reference,
  referenceName,
  tagNameOnly,
} from './reference.js';

/** One image as Docker sees it: a config (whose digest is the ID) and every name for it. */
export interface ImageEntry {
  id: Digest;
  /** The single-platform manifest the image was read from. */
  manifest: Descriptor;
  parsedManifest: ImageManifest;
  config: ImageConfig;
  /** Chain IDs of its layers, bottom first: the names of its snapshots. */
  chainIds: Digest[];
  /** Every record pointing at it, tags and digests and placeholders. */
  records: Image[];
  names: ImageNames;
}

/**
 * Reads images out of the metadata records: groups records by image ID and
 * resolves what users type (names, IDs, ID prefixes) as dockerd does.
 */
export class ImageCatalog {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly blobs: ParsedBlobs,
  ) {}

  /** Records by image ID. */
  recordsById(): Map<Digest, Image[]> {
    const byId = new Map<Digest, Image[]>();
    for (const record of this.metadata.images.list()) {
      const id = recordImageId(record);
      if (id === undefined) continue;
      const list = byId.get(id);
      if (list) list.push(record);
      else byId.set(id, [record]);
    }
    return byId;
  }

  /** How many images there are (dangling ones included), as `docker info` counts. */
  count(): number {
    return this.recordsById().size;
  }

  /** Every image. */
  async list(): Promise<ImageEntry[]> {
    const entries = await Promise.all(
      [...this.recordsById()].map(([id, records]) => this.entry(id, records)),
    );
    return entries.filter((entry): entry is ImageEntry => entry !== undefined);
  }

  /** The image with this exact ID, or undefined. */
  async byId(id: Digest): Promise<ImageEntry | undefined> {
    const records = this.recordsById().get(id);
    return records ? this.entry(id, records) : undefined;
  }

  /**
   * Finds an image the way dockerd's GetImage does: a full ID or `sha256:`
   * digest; else a name (`busybox` means `busybox:latest`; `repo@digest`
   * also matches a manifest digest); else a unique ID prefix. Throws
   * InvalidArgument for a malformed reference and NotFound with dockerd's
   * `No such image: …` otherwise.
   */
  async resolve(text: string): Promise<ImageEntry> {
    const parsed = parseAnyReference(text);
    if (typeof parsed === 'string') return (await this.byId(parsed)) ?? throwNoSuchImage(parsed);
    const id = this.idByName(parsed) ?? this.searchId(text);
    const entry = id === undefined ? undefined : await this.byId(id);
    return entry ?? throwNoSuchImage(familiarString(tagNameOnly(parsed)));
  }

  /** The ID of the image a normalised reference names, if any. */
  idByName(ref: Reference): Digest | undefined {
    const record = this.record(recordNameOf(ref));
    if (record) return recordImageId(record);
    if (ref.digest === undefined) return undefined;
    // `repo@sha256:<manifest>` also finds a tagged image of that repository by its manifest.
    const repo = referenceName(ref);
    const match = this.metadata.images
      .list({ targetDigest: ref.digest })
      .find((candidate) => candidate.name.startsWith(`${repo}:`) || candidate.name.startsWith(`${repo}@`));
    return match && recordImageId(match);
  }

  /** The record with this name, or undefined. */
  record(name: string): Image | undefined {
    try {
      return this.metadata.images.get(name);
    } catch (err) {
      if (isKind(err, ErrorKind.NotFound)) return undefined;
      throw err;
    }
  }

  /** The one image whose ID starts with `text` (hex, with or without `sha256:`); none if ambiguous. */
  searchId(text: string): Digest | undefined {
    const hex = text.startsWith('sha256:') ? text.slice(7) : text;
    if (!/^[a-f0-9]+$/.test(hex)) return undefined;
    const matches = [...this.recordsById().keys()].filter((id) => id.startsWith(`sha256:${hex}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  private async entry(id: Digest, records: Image[]): Promise<ImageEntry | undefined> {
    // Any record will do: all of an image's manifests carry the same config.
    const record = records[0]!;
    const manifest = await this.blobs.platformManifest(record.target);
    const parsedManifest = await this.blobs.manifest(manifest.digest);
    const config = await this.blobs.config(parsedManifest.config.digest);
    return {
      id,
      manifest,
      parsedManifest,
      config,
      chainIds: chainIds(config.rootfs.diff_ids),
      records,
      names: namesOf(records),
    };
  }
}

/** dockerd's error for an image that is not there. */
export function noSuchImage(name: string) {
  return notFound(`No such image: ${name}`);
}

function throwNoSuchImage(name: string): never {
  throw noSuchImage(name);
}
