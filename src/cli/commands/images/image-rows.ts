/**
 * `docker images` rows (cli/command/formatter/image.go): one row per
 * repository and tag (and digest, when digests are shown), with docker's
 * column values and headers.
 */
import { formatHumanSize } from '../../../core/units.js';
import { familiarName, parseNormalizedNamed } from '../../../images/reference.js';
import { type FormatterRow, formatterRow } from '../../format/index.js';
import { goTimeString, timeAgo, truncateId } from '../../human.js';
import type { ImageSummary } from './types.js';

/** Column titles by field, as docker's image context declares them. */
export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** What a template sees for one image row. */
export type ImageRow = FormatterRow;

/** How rows are made: truncated IDs, and whether digests get rows of their own. */
export interface ImageRowOptions {
  readonly trunc: boolean;
  /** --digests: a row per digest, and digest-only repositories per digest. */
  readonly showDigests: boolean;
  /** The format names {{.Digest}}, so tags pair with their digests. */
  readonly needDigest: boolean;
  readonly now?: number;
}

/** go-units HumanSize: 4 significant digits. */
export const humanSize = (n: number) => formatHumanSize(n, 4);

/** Makes the row for one image under one repository, tag and digest. */
export function imageRow(
  image: ImageSummary,
  names: { repo: string; tag: string; digest: string },
  trunc: boolean,
  now = Date.now(),
): ImageRow {
  const shared = image.SharedSize ?? 0;
  const containers = image.Containers ?? 0;
  return formatterRow({
    Containers: containers === -1 ? 'N/A' : String(containers),
    CreatedAt: goTimeString(image.Created),
    CreatedSince: timeAgo(image.Created, now),
    Digest: names.digest,
    ID: trunc ? truncateId(image.Id) : image.Id,
    Repository: names.repo,
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
    Size: formatHumanSize(image.Size, 3),
    Tag: names.tag,
    UniqueSize: image.Size === -1 || shared === -1 ? 'N/A' : humanSize(image.Size - shared),
    VirtualSize: humanSize(image.Size),
  });
}

/** docker's isDangling: no tags or digests, or only the `<none>` placeholders. */
export function isDangling(image: ImageSummary): boolean {
  const tags = image.RepoTags ?? [];
  const digests = image.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>'
  );
}

/** Familiar repository → values (tags or digests), in the order the daemon listed them. */
function groupByRepository(refs: readonly string[], pick: 'tag' | 'digest'): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const text of refs) {
    let value: string | undefined;
    let repo: string;
    try {
      const ref = parseNormalizedNamed(text);
      value = ref[pick];
      repo = familiarName(ref);
    } catch {
      continue;
    }
    if (value === undefined) continue;
    groups.set(repo, [...(groups.get(repo) ?? []), value]);
  }
  return groups;
}

/** The rows of one tagged or digested image (docker's imageFormatTaggedAndDigest). */
function taggedRows(image: ImageSummary, options: ImageRowOptions): ImageRow[] {
  const tags = groupByRepository(image.RepoTags ?? [], 'tag');
  const digests = groupByRepository(image.RepoDigests ?? [], 'digest');
  const rows: ImageRow[] = [];
  const add = (repo: string, tag: string, digest: string) =>
    rows.push(imageRow(image, { repo, tag, digest }, options.trunc, options.now));
  for (const [repo, repoTags] of tags) {
    const repoDigests = options.needDigest ? (digests.get(repo) ?? []) : [];
    digests.delete(repo);
    for (const tag of repoTags) {
      if (repoDigests.length === 0) add(repo, tag, '<none>');
      for (const digest of repoDigests) add(repo, tag, digest);
    }
  }
  for (const [repo, repoDigests] of digests) {
    if (!options.showDigests) add(repo, '<none>', '');
    else for (const digest of repoDigests) add(repo, '<none>', digest);
  }
  return rows;
}

/** All rows for a list of images, in the daemon's order. */
export function imageRows(images: readonly ImageSummary[], options: ImageRowOptions): ImageRow[] {
  return images.flatMap((image) =>
    isDangling(image)
      ? [imageRow(image, { repo: '<none>', tag: '<none>', digest: '<none>' }, options.trunc, options.now)]
      : taggedRows(image, options),
  );
}
