/**
 * `berth images` / `berth image ls`: docker's image list (cli/command/image/list.go).
 */
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { addFilter, filtersJson, parseFilters, validateFilterFlag } from '../../filters.js';
import { formatItems, isTableFormat } from '../../format/index.js';
import { IMAGE_HEADERS, imageRows } from './image-rows.js';
import type { ImageSummary } from './types.js';

const DEFAULT_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DEFAULT_TABLE_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const RAW_FORMAT = `repository: {{ .Repository }}
tag: {{.Tag}}
image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
`;
const RAW_FORMAT_WITH_DIGEST = `repository: {{ .Repository }}
tag: {{.Tag}}
digest: {{.Digest}}
image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
`;

/** The subcommands `docker images X` is often mistaken for. */
const IMAGE_SUBCOMMANDS = new Set([
  'build',
  'history',
  'import',
  'inspect',
  'list',
  'load',
  'ls',
  'prune',
  'pull',
  'push',
  'rm',
  'save',
  'tag',
]);

/** The command's flags, as commander parses them. */
export interface ListOptions {
  quiet: boolean;
  all: boolean;
  trunc: boolean;
  digests: boolean;
  format?: string;
  filter?: string[];
}

/** docker's NewImageFormat: the template a list uses for its flags. */
export function imageListFormat(source: string, quiet: boolean, digests: boolean): string {
  if (source === 'table') {
    if (quiet) return '{{.ID}}';
    return digests ? DEFAULT_TABLE_WITH_DIGEST : DEFAULT_TABLE;
  }
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digests ? RAW_FORMAT_WITH_DIGEST : RAW_FORMAT;
  }
  if (isTableFormat(source) && digests && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

async function runList(
  ctx: CliContext,
  args: string[],
  opts: ListOptions,
  calledAs: string,
): Promise<number> {
  const filters = parseFilters(opts.filter);
  const matchName = args[0] ?? '';
  if (matchName) addFilter(filters, 'reference', matchName);
  const images = await ctx.client().json<ImageSummary[]>('GET', '/images/json', {
    query: { filters: filtersJson(filters), all: opts.all || undefined },
  });
  const format = imageListFormat(opts.format || 'table', opts.quiet, opts.digests);
  const rows = imageRows(images ?? [], {
    trunc: opts.trunc,
    showDigests: opts.digests,
    needDigest: opts.digests || format.includes('{{.Digest}}'),
  });
  ctx.out(formatItems(rows, format, { defaultTable: format, headers: IMAGE_HEADERS }));
  if (matchName && rows.length === 0 && calledAs === 'images' && IMAGE_SUBCOMMANDS.has(matchName)) {
    ctx.err(`\nNo images found matching "${matchName}": did you mean "berth image ${matchName}"?\n`);
  }
  return 0;
}

/** The list command, named `images` at the top level and `ls` (alias `list`) under `image`. */
export function listSpec(name: 'images' | 'ls'): CommandSpec<ListOptions> {
  return {
    name,
    aliases: name === 'ls' ? ['list'] : [],
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    args: { max: 1 },
    options: (cmd, flags) => {
      flags.bool(cmd, '-q, --quiet', 'Only show image IDs');
      flags.bool(cmd, '-a, --all', 'Show all images (default hides intermediate images)');
      flags.bool(cmd, '--no-trunc', "Don't truncate output");
      flags.bool(cmd, '--digests', 'Show digests');
      cmd.option('--format <string>', 'Format output using a custom template');
      cmd.option('-f, --filter <filter>', 'Filter output based on conditions provided', validateFilterFlag);
    },
    run: (ctx, args, opts, invocation) => runList(ctx, args, opts, invocation.calledAs),
  };
}
