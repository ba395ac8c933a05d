/**
 * The rows of `system df -v` (cli/command/formatter/disk_usage.go and the
 * container, volume and build cache contexts it borrows).
 */
import { formatHumanSize } from '../../../core/units.js';
import { familiarName, parseNormalizedNamed } from '../../../images/reference.js';
import { goQuote } from '../../format/escape.js';
import { type FormatterRow, formatterRow } from '../../format/index.js';
import { ellipsis, timeAgo, truncateId } from '../../human.js';
import { humanSize, type ImageRow, imageRow, isDangling } from '../images/image-rows.js';
import type { ImageSummary } from '../images/types.js';
import type { DfBuildCache, DfContainer, DfVolume } from './df-types.js';

/** Column titles of container rows. */
export const CONTAINER_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** Column titles of volume rows. */
export const VOLUME_HEADERS: Readonly<Record<string, string>> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

/** Column titles of build cache rows. */
export const BUILD_CACHE_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CACHE ID',
  Parent: 'PARENT',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  InUse: 'IN USE',
  Shared: 'SHARED',
  Description: 'DESCRIPTION',
};

/** An image under its first tag, as `df -v` lists it. */
export function dfImageRow(image: ImageSummary, trunc: boolean, now: number): ImageRow {
  let repo = '<none>';
  let tag = '<none>';
  const first = image.RepoTags?.[0];
  if (first !== undefined && !isDangling(image)) {
    try {
      const ref = parseNormalizedNamed(first);
      if (ref.tag !== undefined) {
        repo = familiarName(ref);
        tag = ref.tag;
      }
    } catch {
      // docker skips names it cannot parse; the row keeps <none>.
    }
  }
  return imageRow(image, { repo, tag, digest: '' }, trunc, now);
}

/** The IMAGE column: short forms of the image a container runs, as docker trims them. */
function containerImage(c: DfContainer, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  try {
    const ref = parseNormalizedNamed(c.Image);
    return ref.tag === undefined ? familiarName(ref) : `${familiarName(ref)}:${ref.tag}`;
  } catch {
    return c.Image;
  }
}

/** The NAMES column: without the leading "/", and only a top-level name when truncating. */
function containerNames(names: readonly string[], trunc: boolean): string {
  const stripped = names.map((n) => n.slice(1));
  const topLevel = trunc ? stripped.find((n) => !n.includes('/')) : undefined;
  return topLevel !== undefined ? topLevel : stripped.join(',');
}

/** A container as `df -v` lists it: quoted command, writable layer size, age, status. */
export function dfContainerRow(c: DfContainer, trunc: boolean, now: number): FormatterRow {
  return formatterRow({
    Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: containerImage(c, trunc),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Names: containerNames(c.Names ?? [], trunc),
    RunningFor: timeAgo(c.Created, now),
    Size: formatHumanSize(c.SizeRw ?? 0, 3),
    State: c.State,
    Status: c.Status,
  });
}

/** A volume with its link count and size, N/A when the daemon did not measure it. */
export function dfVolumeRow(v: DfVolume): FormatterRow {
  return formatterRow({
    Driver: v.Driver ?? '',
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Name: v.Name,
    Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
  });
}

/** Build cache records oldest-used first, never-used first of all, ties by ID. */
export function sortBuildCache(records: readonly DfBuildCache[]): DfBuildCache[] {
  const used = (r: DfBuildCache) => (r.LastUsedAt ? Date.parse(r.LastUsedAt) : Number.NEGATIVE_INFINITY);
  return [...records].sort((a, b) => used(a) - used(b) || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

/** A build cache record; an ID ending in "*" is in use. */
export function dfBuildCacheRow(r: DfBuildCache, trunc: boolean, now: number): FormatterRow {
  const id = trunc ? truncateId(r.ID) : r.ID;
  return formatterRow({
    CacheType: r.Type,
    CreatedSince: timeAgo(Date.parse(r.CreatedAt) / 1000, now),
    ID: r.InUse ? `${id}*` : id,
    InUse: String(r.InUse),
    LastUsedSince: r.LastUsedAt ? timeAgo(Date.parse(r.LastUsedAt) / 1000, now) : '',
    Shared: String(r.Shared),
    Size: formatHumanSize(r.Size, 3),
    UsageCount: String(r.UsageCount),
  });
}
