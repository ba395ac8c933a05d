/**
 * `berth system df` (cli/command/system/df.go): disk usage by images,
 * containers, local volumes and build cache; `-v` lists each of them.
 */
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { isTableFormat, parseTemplate, renderLines, renderTable } from '../../format/index.js';
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
import { builderSize, SUMMARY_HEADERS, summaryRows } from './df-summary.js';
import type { DiskUsage } from './df-types.js';

const SUMMARY_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_RAW =
  'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';
const IMAGE_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINER_TABLE =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const BUILD_CACHE_TABLE =
  'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

/** The command's flags, as commander parses them. */
export interface DfOptions {
  verbose: boolean;
  format?: string;
}

/** The verbose listing as four titled tables. */
export function verboseTables(du: DiskUsage, now = Date.now()): string {
  const builder = builderSize(du.BuildCache ?? []);
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
