import type { Descriptor } from '../core/descriptor.js';
import type { Digest } from '../core/digest.js';
import { ErrorKind, invalidArgument, isKind, notFound } from '../core/errors.js';
import type { Image } from '../metadata/images.js';
import type { MetadataStore } from '../metadata/store.js';
import { snapshotRef } from './layers.js';
import { danglingName, IMAGE_ID_LABEL, parseRecordName, recordImageId, recordNameOf } from './names.js';
import { familiarName, type Reference } from './reference.js';
import { nowRfc3339Nano } from './time.js';

/** An image whose content is stored and unpacked, ready to be named. */
export interface StoredImage {
  id: Digest;
  /** The manifest its records point at. */
  target: Descriptor;
  config: Descriptor;
  layers: readonly Descriptor[];
  chainIds: readonly Digest[];
}

/** A tag that moved from another image, as `docker load` reports it. */
export interface MovedTag {
  ref: Reference;
  previousId: Digest;
}

const LAST_TAG_NS = 'images.last-tag-time';
const PARENT_NS = 'images.parent';

/**
 * Docker's reference-store semantics on metadata image records. Every method
 * is one synchronous transaction, so record changes never interleave. An
 * image that loses its last name keeps a placeholder record (it becomes
 * dangling, `<none>:<none>`) until it is deleted.
 */
export class ImageRecords {
  constructor(private readonly metadata: MetadataStore) {}

  /**
   * Records a stored image under `tags` (none: as a dangling image unless it
   * is already known), with the references that keep its blobs and
   * snapshots alive. Returns the tags that moved away from other images.
   */
  register(image: StoredImage, tags: readonly Reference[]): MovedTag[] {
    return this.metadata.transaction(() => {
      const { refs } = this.metadata;
      refs.addContent(contentOwner(image.target.digest), [
        image.config.digest,
        ...image.layers.map((l) => l.digest),
      ]);
      for (const chainId of image.chainIds)
        refs.addSnapshot(contentOwner(image.config.digest), snapshotRef(chainId));
      const moved = tags.flatMap((ref) => this.point(recordNameOf(ref), image.id, image.target, ref));
      if (this.recordsOf(image.id).length === 0) this.ensurePlaceholder(image.id, image.target);
      this.dropPlaceholderIfNamed(image.id);
      return moved;
    });
  }

  /** Tags an image (`docker tag`): the tag moves here if it named another image. */
  tag(image: { id: Digest; target: Descriptor }, ref: Reference): void {
    if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
    if (familiarName(ref) === 'sha256') {
      throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
    }
    this.metadata.transaction(() => {
      // The image may have been deleted since the caller looked it up.
      if (this.recordsOf(image.id).length === 0) throw notFound(`No such image: ${image.id}`);
      this.point(recordNameOf(ref), image.id, image.target, ref);
      this.dropPlaceholderIfNamed(image.id);
      this.metadata.kv.set(LAST_TAG_NS, image.id, nowRfc3339Nano());
    });
  }

  /** Removes one name; an image left without names stays, dangling. Returns whether the name existed. */
  removeName(name: string): boolean {
    return this.metadata.transaction(() => {
      const record = this.find(name);
      if (!record) return false;
      this.metadata.images.delete(name);
      const id = recordImageId(record);
      if (id && this.recordsOf(id).length === 0) this.ensurePlaceholder(id, record.target);
      return true;
    });
  }

  /** Deletes an image: every record of it and what Berth kept about it. */
  removeImage(id: Digest): void {
    this.metadata.transaction(() => {
      for (const record of this.recordsOf(id)) this.metadata.images.delete(record.name);
      this.metadata.kv.delete(LAST_TAG_NS, id);
      this.metadata.kv.delete(PARENT_NS, id);
    });
  }

  /** Every record of an image. */
  recordsOf(id: Digest): Image[] {
    return this.metadata.images.list({ labels: { [IMAGE_ID_LABEL]: id } });
  }

  /** When the image was last tagged, as Go's RFC3339Nano; undefined if never. */
  lastTagTime(id: Digest): string | undefined {
    return this.metadata.kv.get(LAST_TAG_NS, id);
  }

  /** The local parent image (set by builds and loads of saved parents), if any. */
  parentOf(id: Digest): Digest | undefined {
    return this.metadata.kv.get(PARENT_NS, id) as Digest | undefined;
  }

  /** Records the local parent of an image. */
  setParent(id: Digest, parent: Digest): void {
    this.metadata.kv.set(PARENT_NS, id, parent);
  }

  /** Images whose parent is `id`. */
  childrenOf(id: Digest): Digest[] {
    return [...this.metadata.kv.list(PARENT_NS)]
      .filter(([, parent]) => parent === id)
      .map(([child]) => child as Digest);
  }

  /** The record called `name`, or undefined. */
  find(name: string): Image | undefined {
    try {
      return this.metadata.images.get(name);
    } catch (err) {
      if (isKind(err, ErrorKind.NotFound)) return undefined;
      throw err;
    }
  }

  /** Points `name` at an image; reports and keeps (dangling) the image it named before. */
  private point(name: string, id: Digest, target: Descriptor, ref: Reference): MovedTag[] {
    const labels = { [IMAGE_ID_LABEL]: id };
    const existing = this.find(name);
    if (!existing) {
      this.metadata.images.create({ name, target, labels });
      return [];
    }
    this.metadata.images.update({ name, target, labels });
    const previousId = recordImageId(existing);
    if (previousId === undefined || previousId === id) return [];
    if (this.recordsOf(previousId).length === 0) this.ensurePlaceholder(previousId, existing.target);
    return [{ ref, previousId }];
  }

  private ensurePlaceholder(id: Digest, target: Descriptor): void {
    const name = danglingName(target.digest);
    if (!this.find(name)) this.metadata.images.create({ name, target, labels: { [IMAGE_ID_LABEL]: id } });
  }

  private dropPlaceholderIfNamed(id: Digest): void {
    const records = this.recordsOf(id);
    if (!records.some((record) => parseRecordName(record.name).kind !== 'dangling')) return;
    for (const record of records) {
      if (parseRecordName(record.name).kind === 'dangling') this.metadata.images.delete(record.name);
    }
  }
}

function contentOwner(digest: Digest) {
  return { kind: 'content', id: digest } as const;
}
