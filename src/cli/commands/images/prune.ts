/** `berth image prune` (cli/command/image/prune.go). */
import { createInterface } from 'node:readline';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { CancelledError } from '../../errors.js';
import { addFilter, filtersJson, parseFilters, validateFilterFlag } from '../../filters.js';
import { humanSize } from './image-rows.js';
import type { ImagePruneReport } from './types.js';

const DANGLING_WARNING = `WARNING! This will remove all dangling images.
Are you sure you want to continue?`;
const ALL_WARNING = `WARNING! This will remove all images without at least one container associated to them.
Are you sure you want to continue?`;

/** The command's flags, as commander parses them. */
export interface PruneOptions {
  force: boolean;
  all: boolean;
  filter?: string[];
}

/** docker's prompt.Confirm: true only for a line that is "y" or "Y". */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.out(`${message} [y/N] `);
  const lines = createInterface({ input: ctx.stdin.stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) return line.trim().toLowerCase() === 'y';
    return false;
  } finally {
    lines.close();
    ctx.stdin.stream.pause();
  }
}

/** The report as docker prints it: the deleted images, then the space reclaimed. */
export function pruneReportText(report: ImagePruneReport): string {
  const deleted = report.ImagesDeleted ?? [];
  if (deleted.length === 0) return 'Total reclaimed space: 0B\n';
  const lines = deleted.map((item) =>
    item.Untagged ? `untagged: ${item.Untagged}` : `deleted: ${item.Deleted}`,
  );
  return `Deleted Images:\n${lines.join('\n')}\n\nTotal reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`;
}

async function runPrune(ctx: CliContext, opts: PruneOptions): Promise<number> {
  const filters = parseFilters(opts.filter);
  addFilter(filters, 'dangling', String(!opts.all));
  if (!opts.force && !(await confirm(ctx, opts.all ? ALL_WARNING : DANGLING_WARNING))) {
    throw new CancelledError('image prune has been cancelled');
  }
  await ctx.client().requireVersion('1.25', 'image prune');
  const report = await ctx
    .client()
    .json<ImagePruneReport>('POST', '/images/prune', { query: { filters: filtersJson(filters) } });
  ctx.out(pruneReportText(report ?? {}));
  return 0;
}

/** The prune command under `image`. */
export const pruneSpec: CommandSpec<PruneOptions> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all', 'Remove all unused images, not just dangling ones');
    flags.bool(cmd, '-f, --force', 'Do not prompt for confirmation');
    cmd.option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', validateFilterFlag);
  },
  run: (ctx, _args, opts) => runPrune(ctx, opts),
};
