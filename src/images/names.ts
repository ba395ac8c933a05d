/**
 * How Docker's image names map onto metadata image records. Each record is
 * one name pointing at a manifest:
 *
 * - a tag, `docker.io/library/busybox:latest` (Docker's RepoTags);
 * - a digest, `docker.io/library/busybox@sha256:…` (RepoDigests);
 * - a placeholder, `<none>@sha256:<manifest>`, that keeps an image nobody
 *   names any more (a "dangling" image, `<none>:<none>` in `docker images`).
 *   `<none>` is not a valid reference, so it never collides with a real name.
 *
 * Every record carries the image ID (its config digest) in a label, so
 * records group into images without reading content.
 */
import type { Digest } from '../core/digest.js';
import type { Image } from '../metadata/images.js';
import {
  familiarString,
  formatReference,
  parseDockerRef,
  parseReference,
  type Reference,
  tagNameOnly,
} from './reference.js';

/** The label holding a record's image ID. */
export const IMAGE_ID_LABEL = 'io.berth.image.id';

const DANGLING_PREFIX = '<none>@';

/** What a record name stands for. */
export type RecordName =
  | { kind: 'tag'; ref: Reference & { tag: string } }
  | { kind: 'digest'; ref: Reference & { digest: Digest } }
  | { kind: 'dangling' };

/** The record name of a placeholder for an unnamed image's manifest. */
export function danglingName(manifest: Digest): string {
  return DANGLING_PREFIX + manifest;
}

/** The record name of a reference, normalised as Docker stores it (`latest` added, digest wins). */
export function recordNameOf(ref: Reference): string {
  if (ref.digest !== undefined)
    return formatReference({ domain: ref.domain, path: ref.path, digest: ref.digest });
  return formatReference(tagNameOnly(ref));
}

/** The record name for what a user typed (`busybox` → `docker.io/library/busybox:latest`). */
export function recordNameFor(text: string): string {
  return recordNameOf(parseDockerRef(text));
}

/** Classifies a stored record name. */
export function parseRecordName(name: string): RecordName {
  if (name.startsWith(DANGLING_PREFIX)) return { kind: 'dangling' };
  const ref = parseReference(name);
  if (ref.digest !== undefined) return { kind: 'digest', ref: { ...ref, digest: ref.digest } };
  return { kind: 'tag', ref: { ...ref, tag: ref.tag ?? 'latest' } };
}

/** The image ID a record points at, from its label. */
export function recordImageId(record: Image): Digest | undefined {
  return record.labels[IMAGE_ID_LABEL] as Digest | undefined;
}

/** An image's names as Docker shows them, each list in Docker's (lexical) order. */
export interface ImageNames {
  /** Full normalised tag references, sorted: what Docker's reference store lists. */
  tags: Reference[];
  digests: Reference[];
  /** `busybox:latest` … */
  repoTags: string[];
  /** `busybox@sha256:…` … */
  repoDigests: string[];
}

/** Sorts an image's records into tags and digests. */
export function namesOf(records: readonly Image[]): ImageNames {
  const tags: Reference[] = [];
  const digests: Reference[] = [];
  for (const record of [...records].sort((a, b) => compareStrings(a.name, b.name))) {
    const parsed = parseRecordName(record.name);
    if (parsed.kind === 'tag') tags.push(parsed.ref);
    else if (parsed.kind === 'digest') digests.push(parsed.ref);
  }
  return {
    tags,
    digests,
    repoTags: tags.map(familiarString),
    repoDigests: digests.map(familiarString),
  };
}

/** Byte-wise string order, as Go's sort of strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
