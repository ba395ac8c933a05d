/**
 * `berth history` / `berth image history` (cli/command/image/history.go and
 * formatter_history.go).
 */
import { formatHumanSize } from '../../../core/units.js';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { type FormatterRow, formatItems, formatterRow } from '../../format/index.js';
import { ellipsis, rfc3339Local, timeAgo, truncateId } from '../../human.js';
import type { HistoryItem } from './types.js';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

const HISTORY_HEADERS: Readonly<Record<string, string>> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** docker treats history entries from before 2000 as having no known date. */
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

/** The command's flags, as commander parses them. */
export interface HistoryOptions {
  human: boolean;
  quiet: boolean;
  trunc: boolean;
  format?: string;
}

/** What a template sees for one history entry. */
export function historyRow(
  item: HistoryItem,
  options: { human: boolean; trunc: boolean },
  now = Date.now(),
): FormatterRow {
  const createdAt = rfc3339Local(item.Created);
  let createdSince = createdAt;
  if (options.human) createdSince = item.Created <= EPOCH_2000 ? 'N/A' : timeAgo(item.Created, now);
  const createdBy = item.CreatedBy.replaceAll('\t', ' ');
  return formatterRow({
    Comment: item.Comment,
    CreatedAt: createdAt,
    CreatedBy: options.trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: createdSince,
    ID: options.trunc ? truncateId(item.Id) : item.Id,
    Size: options.human ? formatHumanSize(item.Size, 3) : String(item.Size),
  });
}

/** docker's NewHistoryFormat. */
function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source !== 'table') return source;
  if (quiet) return '{{.ID}}';
  return human ? DEFAULT_TABLE : NON_HUMAN_TABLE;
}

async function runHistory(ctx: CliContext, image: string, opts: HistoryOptions): Promise<number> {
  const items = await ctx.client().json<HistoryItem[]>('GET', `/images/${escapePath(image)}/history`);
  const format = historyFormat(opts.format || 'table', opts.quiet, opts.human);
  const rows = (items ?? []).map((item) => historyRow(item, opts));
  ctx.out(formatItems(rows, format, { defaultTable: format, headers: HISTORY_HEADERS }));
  return 0;
}

/** The history command (top level and under `image`). */
export const historySpec: CommandSpec<HistoryOptions> = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  args: { exact: 1 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-H, --human', 'Print sizes and dates in human readable format', true);
    flags.bool(cmd, '-q, --quiet', 'Only show image IDs');
    flags.bool(cmd, '--no-trunc', "Don't truncate output");
    cmd.option('--format <string>', 'Format output using a custom template');
  },
  run: (ctx, args, opts) => runHistory(ctx, args[0]!, opts),
};
