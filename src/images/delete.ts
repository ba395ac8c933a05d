/**
 * `docker rmi`, with dockerd's rules (daemon/images/image_delete.go): a name
 * only untags unless it was the image's last; an ID deletes the image unless
 * several names or a container hold it; `force` overrides what it may.
 */
import type { Digest } from '../core/digest.js';
import { conflict } from '../core/errors.js';
import type { ImageCatalog } from './catalog.js';
import { noSuchImage } from './catalog.js';
import { shortId } from './chain.js';
import type { ImageCollector } from './collector.js';
import { imageLabels } from './config.js';
import { type EventSink, publishImageEvent } from './events.js';
import { compareStrings, parseRecordName, recordNameOf } from './names.js';
import type { ImageRecords } from './records.js';
import { familiarString, parseNormalizedNamed, type Reference, referenceName } from './reference.js';
import type { ImageUsage } from './usage.js';

/** One line of the answer: a name removed or an image or layer deleted. */
export type DeleteItem = { untagged: string } | { deleted: string };

/** Options of a delete. */
export interface DeleteOptions {
  /** Untag and delete even if several names or a stopped container hold the image. */
  force?: boolean;
  /** Also delete untagged parent images (the opposite of `--no-prune`). */
  prune?: boolean;
}

/** What a deleter needs. */
export interface DeleterDeps {
  catalog: ImageCatalog;
  records: ImageRecords;
  collector: ImageCollector;
  events: EventSink;
  usage(): ImageUsage;
}

interface DeleteConflict {
  hard: boolean;
  /** A container uses the image. */
  used: boolean;
  message: string;
}

const CHILD = 1;
const RUNNING = 2;
const REFERENCED = 4;
const STOPPED = 8;
const HARD = CHILD | RUNNING;
const SOFT = REFERENCED | STOPPED;

/** Deletes images and names as dockerd does. */
export class ImageDeleter {
  constructor(private readonly deps: DeleterDeps) {}

  async delete(text: string, options: DeleteOptions = {}): Promise<DeleteItem[]> {
    const { force = false, prune = true } = options;
    const entry = await this.deps.catalog.resolve(text);
    const id = entry.id;
    const labels = imageLabels(entry.config);
    const items: DeleteItem[] = [];
    let refs = this.refsOf(id);
    let untaggedLast = false;
    if (!isIdPrefix(id, text)) {
      if (!force && isSingleReference(refs)) {
        const user = (await this.deps.usage().containersUsing(id))[0];
        if (user) {
          throw conflict(
            `conflict: unable to remove repository reference "${text}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`,
          );
        }
      }
      const removed = this.untag(parseNormalizedNamed(text), { id, labels }, items);
      refs = this.dropDigestsOfRepository(removed, this.refsOf(id), items);
      if (refs.length > 0) return items;
      untaggedLast = true;
    } else if (isSingleReference(refs)) {
      const found = await this.conflictOf(id, force ? HARD : HARD | (SOFT & ~REFERENCED));
      if (found) throw conflictError(id, found);
      for (const ref of refs) this.untag(ref, { id, labels }, items);
    }
    await this.deleteImage(id, items, force, prune, untaggedLast);
    return items;
  }

  /** The image's names, in Docker's order (by full name). */
  refsOf(id: Digest): Reference[] {
    return this.deps.records
      .recordsOf(id)
      .sort((a, b) => compareStrings(a.name, b.name))
      .flatMap((record) => {
        const parsed = parseRecordName(record.name);
        return parsed.kind === 'dangling' ? [] : [parsed.ref];
      });
  }

  /** Removes one name; announces it unless `image` is omitted (dockerd is silent for digest clean-up). */
  private untag(
    ref: Reference,
    image: { id: Digest; labels: Record<string, string> } | undefined,
    items: DeleteItem[],
  ) {
    const name = recordNameOf(ref);
    const removed = parseRecordNameRef(name);
    if (!this.deps.records.removeName(name)) throw noSuchImage(familiarString(removed));
    items.push({ untagged: familiarString(removed) });
    if (image) publishImageEvent(this.deps.events, 'untag', image.id, image.id, image.labels);
    return removed;
  }

  /** After a tag goes, digests of its repository go too unless another tag of it stays. */
  private dropDigestsOfRepository(removed: Reference, refs: Reference[], items: DeleteItem[]): Reference[] {
    if (removed.digest !== undefined) return refs;
    const repo = referenceName(removed);
    if (refs.some((ref) => ref.digest === undefined && referenceName(ref) === repo)) return refs;
    return refs.filter((ref) => {
      if (ref.digest === undefined || referenceName(ref) !== repo) return true;
      this.untag(ref, undefined, items);
      return false;
    });
  }

  private async deleteImage(id: Digest, items: DeleteItem[], force: boolean, prune: boolean, quiet: boolean) {
    const found = await this.conflictOf(id, force ? HARD : HARD | SOFT);
    if (found) {
      // After untagging its last name, a conflict keeps the image quietly (now dangling).
      if (quiet && (!this.isDangling(id) || found.used)) return;
      throw conflictError(id, found);
    }
    const entry = await this.deps.catalog.byId(id);
    if (!entry) return;
    const parent = this.deps.records.parentOf(id);
    const image = { id, labels: imageLabels(entry.config) };
    for (const ref of this.refsOf(id)) this.untag(ref, image, items);
    this.deps.records.removeImage(id);
    publishImageEvent(this.deps.events, 'delete', id, id);
    items.push({ deleted: id });
    const { snapshots } = await this.deps.collector.collect();
    const removed = new Set(snapshots);
    for (const chainId of [...entry.chainIds].reverse())
      if (removed.has(chainId)) items.push({ deleted: chainId });
    if (prune && parent && (await this.deps.catalog.byId(parent))) {
      await this.deleteImage(parent, items, false, true, true);
    }
  }

  private async conflictOf(id: Digest, mask: number): Promise<DeleteConflict | undefined> {
    if (mask & CHILD && this.deps.records.childrenOf(id).length > 0) {
      return { hard: true, used: false, message: 'image has dependent child images' };
    }
    const users = mask & (RUNNING | STOPPED) ? await this.deps.usage().containersUsing(id) : [];
    const running = users.find((user) => user.running);
    if (mask & RUNNING && running) {
      return {
        hard: true,
        used: true,
        message: `image is being used by running container ${shortId(running.id)}`,
      };
    }
    if (mask & REFERENCED && this.refsOf(id).length > 0) {
      return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
    }
    const stopped = users.find((user) => !user.running);
    if (mask & STOPPED && stopped) {
      return {
        hard: false,
        used: true,
        message: `image is being used by stopped container ${shortId(stopped.id)}`,
      };
    }
    return undefined;
  }

  private isDangling(id: Digest): boolean {
    return this.refsOf(id).length === 0 && this.deps.records.childrenOf(id).length === 0;
  }
}

function parseRecordNameRef(name: string): Reference {
  const parsed = parseRecordName(name);
  return parsed.kind === 'dangling' ? { domain: '', path: name } : parsed.ref;
}

function conflictError(id: Digest, found: DeleteConflict) {
  const force = found.hard ? 'cannot be forced' : 'must be forced';
  return conflict(`conflict: unable to delete ${shortId(id)} (${force}) - ${found.message}`);
}

/** Whether `text` is a prefix of the ID, with or without its `sha256:` (dockerd's isImageIDPrefix). */
function isIdPrefix(id: Digest, text: string): boolean {
  return id.startsWith(text) || id.slice('sha256:'.length).startsWith(text);
}

/**
 * dockerd's isSingleReference: one name, or one tag plus digests of that same
 * repository only (all of which an untag removes together).
 */
function isSingleReference(refs: readonly Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const digestRepos = new Set<string>();
  for (const ref of refs) {
    if (ref.digest !== undefined) digestRepos.add(referenceName(ref));
    else if (single === undefined) single = ref;
    else return false;
  }
  single ??= refs[0]!;
  return digestRepos.size === 1 && digestRepos.has(referenceName(single));
}
