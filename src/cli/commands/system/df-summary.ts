/**
 * The summary rows of `system df`: per kind, how many there are, how many are
 * in use, their size and what removing the unused would reclaim (docker's
 * diskUsage*Context types).
 */
import { type FormatterRow, formatterRow } from '../../format/index.js';
import { humanSize } from '../images/image-rows.js';
import type { ImageSummary } from '../images/types.js';
import type { DfBuildCache, DfContainer, DfVolume, DiskUsage } from './df-types.js';

/** Column titles of the summary table. */
export const SUMMARY_HEADERS: Readonly<Record<string, string>> = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};

const sum = <T>(items: readonly T[], size: (item: T) => number) =>
  items.reduce((total, i) => total + size(i), 0);

/** "1.2GB (40%)": reclaimable of total, with docker's integer percentage. */
function reclaimable(amount: number, total: number): string {
  return total > 0 ? `${humanSize(amount)} (${Math.trunc((amount * 100) / total)}%)` : humanSize(amount);
}

function row(type: string, total: number, active: number, size: number, reclaim: string): FormatterRow {
  return formatterRow({
    Active: String(active),
    Reclaimable: reclaim,
    Size: humanSize(size),
    TotalCount: String(total),
    Type: type,
  });
}

/** Images: the layers' size; what images used by containers hold alone is not reclaimable. */
function imagesRow(images: readonly ImageSummary[], layersSize: number): FormatterRow {
  const used = images.filter((i) => (i.Containers ?? 0) !== 0 && i.Size !== -1 && i.SharedSize !== -1);
  const inUse = sum(used, (i) => i.Size - (i.SharedSize ?? 0));
  const active = images.filter((i) => (i.Containers ?? 0) > 0).length;
  return row('Images', images.length, active, layersSize, reclaimable(layersSize - inUse, layersSize));
}

/** Running, paused and restarting containers are active; the others' writable layers are reclaimable. */
function containersRow(containers: readonly DfContainer[]): FormatterRow {
  const isActive = (c: DfContainer) => ['running', 'paused', 'restarting'].includes(c.State);
  const size = sum(containers, (c) => c.SizeRw ?? 0);
  const idle = sum(
    containers.filter((c) => !isActive(c)),
    (c) => c.SizeRw ?? 0,
  );
  return row(
    'Containers',
    containers.length,
    containers.filter(isActive).length,
    size,
    reclaimable(idle, size),
  );
}

/** Volumes with no references are reclaimable; unmeasured ones (-1) count for nothing. */
function volumesRow(volumes: readonly DfVolume[]): FormatterRow {
  const measured = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  const size = sum(measured, (v) => v.UsageData?.Size ?? 0);
  const unused = sum(
    measured.filter((v) => v.UsageData?.RefCount === 0),
    (v) => v.UsageData?.Size ?? 0,
  );
  const active = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length;
  return row('Local Volumes', volumes.length, active, size, reclaimable(unused, size));
}

/** The build cache's own (unshared) size; records in use are not reclaimable. */
export function builderSize(cache: readonly DfBuildCache[]): number {
  return sum(
    cache.filter((b) => !b.Shared),
    (b) => b.Size,
  );
}

function buildCacheRow(cache: readonly DfBuildCache[]): FormatterRow {
  const size = builderSize(cache);
  const inUse = sum(
    cache.filter((b) => b.InUse && !b.Shared),
    (b) => b.Size,
  );
  const active = cache.filter((b) => b.InUse).length;
  return row('Build Cache', cache.length, active, size, humanSize(size - inUse));
}

/** The four summary rows: Images, Containers, Local Volumes, Build Cache. */
export function summaryRows(du: DiskUsage): FormatterRow[] {
  return [
    imagesRow(du.Images ?? [], du.LayersSize ?? 0),
    containersRow(du.Containers ?? []),
    volumesRow(du.Volumes ?? []),
    buildCacheRow(du.BuildCache ?? []),
  ];
}
