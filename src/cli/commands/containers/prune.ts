/** `berth container prune` (cli/command/container/prune.go). */
import type { CommandSpec } from '../../command-spec.js';
import { CancelledError } from '../../errors.js';
import { filtersJson, parseFilters, validateFilterFlag } from '../../filters.js';
import { humanSize } from '../images/image-rows.js';
import { confirm } from '../images/prune.js';

const WARNING = `WARNING! This will remove all stopped containers.
Are you sure you want to continue?`;

export const containerPruneSpec: CommandSpec<{ force: boolean; filter?: string[] }> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-f, --force', 'Do not prompt for confirmation');
    cmd.option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', validateFilterFlag);
  },
  run: async (ctx, _args, o) => {
    if (!o.force && !(await confirm(ctx, WARNING)))
      throw new CancelledError('container prune has been cancelled');
    const report = await ctx
      .client()
      .json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', {
        query: { filters: filtersJson(parseFilters(o.filter)) },
      });
    const deleted = report.ContainersDeleted ?? [];
    const list = deleted.length > 0 ? `Deleted Containers:\n${deleted.join('\n')}\n\n` : '';
    ctx.out(`${list}Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
