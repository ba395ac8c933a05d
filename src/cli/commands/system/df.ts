/**
 * `berth system df` (cli/command/system/df.go): disk usage by images,
 * containers, local volumes and build cache; `-v` lists each of them.
 */
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { formatterRow, isTableFormat, parseTemplate, renderLines, renderTable } from '../../format/index.js';
import { humanSize, IMAGE_HEADERS } from '../images/image-rows.js';
import {
  BUILD_CACHE_HEADERS,
  CONTAINER_HEADERS,
  dfBuildCacheRow,
  dfContainerRow,
  dfImageRow,
  dfVolumeRow,
  sortBuildCache,
  VOLUME_HEADERS,
} from './df-rows.js';
import type { DiskUsage } from './df-types.js';

const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_RAW =
  'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
const SUMMARY_HEADERS = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};
const IMAGE_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINER_TABLE =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const BUILD_CACHE_TABLE =
  'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

export interface DfOptions {
  verbose: boolean;
  format?: string;
}

/** "1.2GB (40%)": reclaimable of total, with docker's integer percentage. */
function reclaimable(amount: number, total: number): string {
  return total > 0 ? `${humanSize(amount)} (${Math.trunc((amount * 100) / total)}%)` : humanSize(amount);
}

/** The four summary rows: Images, Containers, Local Volumes, Build Cache. */
export function summaryRows(du: DiskUsage) {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const layers = du.LayersSize ?? 0;
  const usedByImages = images
    .filter((i) => (i.Containers ?? 0) !== 0 && i.Size !== -1 && i.SharedSize !== -1)
    .reduce((sum, i) => sum + i.Size - (i.SharedSize ?? 0), 0);
  const active = (state: string) => ['running', 'paused', 'restarting'].includes(state);
  const containerSize = containers.reduce((sum, c) => sum + (c.SizeRw ?? 0), 0);
  const idleContainers = containers.filter((c) => !active(c.State)).reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const measured = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  const volumeSize = measured.reduce((s, v) => s + v.UsageData!.Size, 0);
  const unusedVolumes = measured
    .filter((v) => v.UsageData!.RefCount === 0)
    .reduce((s, v) => s + v.UsageData!.Size, 0);
  const builder = cache.filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
  const builderInUse = cache.filter((b) => b.InUse && !b.Shared).reduce((s, b) => s + b.Size, 0);
  const row = (Type: string, total: number, activeCount: number, size: number, Reclaimable: string) =>
    formatterRow({
      Active: String(activeCount),
      Reclaimable,
      Size: humanSize(size),
      TotalCount: String(total),
      Type,
    });
  return [
    row(
      'Images',
      images.length,
      images.filter((i) => (i.Containers ?? 0) > 0).length,
      layers,
      reclaimable(layers - usedByImages, layers),
    ),
    row(
      'Containers',
      containers.length,
      containers.filter((c) => active(c.State)).length,
      containerSize,
      reclaimable(idleContainers, containerSize),
    ),
    row(
      'Local Volumes',
      volumes.length,
      volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length,
      volumeSize,
      reclaimable(unusedVolumes, volumeSize),
    ),
    row(
      'Build Cache',
      cache.length,
      cache.filter((b) => b.InUse).length,
      builder,
      humanSize(builder - builderInUse),
    ),
  ];
}

/** The verbose listing as four titled tables. */
export function verboseTables(du: DiskUsage, now = Date.now()): string {
  const builder = (du.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + b.Size, 0);
  return [
    'Images space usage:\n\n',
    renderTable(
      (du.Images ?? []).map((i) => dfImageRow(i, true, now)),
      IMAGE_TABLE,
      IMAGE_HEADERS,
    ),
    '\nContainers space usage:\n\n',
    renderTable(
      (du.Containers ?? []).map((c) => dfContainerRow(c, true, now)),
      CONTAINER_TABLE,
      CONTAINER_HEADERS,
    ),
    '\nLocal Volumes space usage:\n\n',
    renderTable((du.Volumes ?? []).map(dfVolumeRow), VOLUME_TABLE, VOLUME_HEADERS),
    `\nBuild cache usage: ${humanSize(builder)}\n\n`,
    renderTable(
      sortBuildCache(du.BuildCache ?? []).map((b) => dfBuildCacheRow(b, true, now)),
      BUILD_CACHE_TABLE,
      BUILD_CACHE_HEADERS,
    ),
  ].join('');
}

/** A custom verbose template runs once over all four lists, with nothing added. */
function verboseTemplate(du: DiskUsage, format: string, now = Date.now()): string {
  const trunc = isTableFormat(format);
  const data = {
    Images: (du.Images ?? []).map((i) => dfImageRow(i, trunc, now)),
    Containers: (du.Containers ?? []).map((c) => dfContainerRow(c, trunc, now)),
    Volumes: (du.Volumes ?? []).map(dfVolumeRow),
    BuildCache: sortBuildCache(du.BuildCache ?? []).map((b) => dfBuildCacheRow(b, trunc, now)),
  };
  const text = format === 'json' ? '{{json .}}' : format.replace(/^table/, '').trim();
  return parseTemplate(text.replace(/\\t/g, '\t').replace(/\\n/g, '\n')).execute(data);
}

async function runDf(ctx: CliContext, opts: DfOptions): Promise<number> {
  await ctx.client().requireVersion('1.25', 'system df');
  const du = await ctx.client().json<DiskUsage>('GET', '/system/df');
  const source = opts.format || 'table';
  if (opts.verbose) {
    ctx.out(source === 'table' ? verboseTables(du) : verboseTemplate(du, source));
    return 0;
  }
  const format = source === 'table' ? SUMMARY_TABLE : source === 'raw' ? SUMMARY_RAW : source;
  const rows = summaryRows(du);
  if (format === 'json') ctx.out(renderLines(rows, '{{json .}}'));
  else
    ctx.out(isTableFormat(format) ? renderTable(rows, format, SUMMARY_HEADERS) : renderLines(rows, format));
  return 0;
}

/** `system df`. */
export const dfSpec: CommandSpec<DfOptions> = {
  name: 'df',
  usage: '[OPTIONS]',
  description: 'Show Berth disk usage',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-v, --verbose', 'Show detailed information on space usage');
    cmd.option('--format <string>', 'Format output using a custom template');
  },
  run: (ctx, _args, opts) => runDf(ctx, opts),
};
