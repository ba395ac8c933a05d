/** `berth volume …` (cli/command/volume): ls, create, inspect, rm, prune. */
import { escapePath } from '../../client.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import { CancelledError, errorText, StatusError } from '../../errors.js';
import { addFilter, filtersJson, parseFilters, validateFilterFlag } from '../../filters.js';
import { formatItems } from '../../format/index.js';
import { inspectObjects } from '../../inspect.js';
import { keyValues, labelsColumn } from '../../key-values.js';
import { humanSize } from '../images/image-rows.js';
import { confirm } from '../images/prune.js';

interface VolumeSummary {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
}

const LS_TABLE = 'table {{.Driver}}\t{{.Name}}';
const LS_HEADERS = {
  Driver: 'DRIVER',
  Name: 'VOLUME NAME',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

const lsSpec: CommandSpec<{ quiet: boolean; format?: string; filter?: string[] }> = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List volumes',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-q, --quiet', 'Only display volume names');
    cmd.option('--format <string>', 'Format output using a custom template');
    cmd.option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', validateFilterFlag);
  },
  run: async (ctx, _args, opts) => {
    const list = await ctx.client().json<{ Volumes: VolumeSummary[] | null }>('GET', '/volumes', {
      query: { filters: filtersJson(parseFilters(opts.filter)) },
    });
    const rows = [...(list?.Volumes ?? [])]
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((v) => ({
        ...v,
        Labels: labelsColumn(v.Labels),
      }));
    const format = opts.quiet ? '{{.Name}}' : opts.format || 'table';
    ctx.out(formatItems(rows, format, { defaultTable: LS_TABLE, headers: LS_HEADERS }));
    return 0;
  },
};

const createSpec: CommandSpec<{ driver: string; label?: string[]; opt?: string[]; name?: string }> = {
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  args: { max: 1 },
  options: (cmd) => {
    cmd.option('-d, --driver <string>', 'Specify volume driver name', 'local');
    cmd.option('--label <list>', 'Set metadata for a volume', collect);
    cmd.option('-o, --opt <map>', 'Set driver specific options', collect);
    cmd.option('--name <string>', 'Specify volume name');
  },
  run: async (ctx, args, opts) => {
    if (args[0] && opts.name && args[0] !== opts.name)
      throw new StatusError(
        `conflicting options: either specify --name or provide positional arg, not both`,
        1,
      );
    const volume = await ctx.client().json<VolumeSummary>('POST', '/volumes/create', {
      body: {
        Name: args[0] ?? opts.name ?? '',
        Driver: opts.driver,
        DriverOpts: keyValues(opts.opt),
        Labels: keyValues(opts.label),
      },
    });
    ctx.out(`${volume.Name}\n`);
    return 0;
  },
};

const inspectSpec: CommandSpec<{ format?: string }> = {
  name: 'inspect',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  args: { min: 1 },
  options: (cmd) => cmd.option('-f, --format <string>', 'Format output using a custom template'),
  run: (ctx, args, opts) =>
    inspectObjects(ctx, args, opts.format, (ref) => ctx.client().text('GET', `/volumes/${escapePath(ref)}`)),
};

const rmSpec: CommandSpec<{ force: boolean }> = {
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  args: { min: 1 },
  options: (cmd, flags) => flags.bool(cmd, '-f, --force', 'Force the removal of one or more volumes'),
  run: async (ctx, args, opts) => {
    const errors: string[] = [];
    for (const name of args) {
      try {
        await ctx
          .client()
          .request('DELETE', `/volumes/${escapePath(name)}`, { query: { force: opts.force || undefined } })
          .then((r) => r.resume());
        ctx.out(`${name}\n`);
      } catch (err) {
        errors.push(errorText(err));
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
};

const PRUNE_WARNING = `WARNING! This will remove anonymous local volumes not used by at least one container.
Are you sure you want to continue?`;
const PRUNE_ALL_WARNING = `WARNING! This will remove all local volumes not used by at least one container.
Are you sure you want to continue?`;

const pruneSpec: CommandSpec<{ force: boolean; all: boolean; filter?: string[] }> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all', 'Remove all unused volumes, not just anonymous ones');
    flags.bool(cmd, '-f, --force', 'Do not prompt for confirmation');
    cmd.option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', validateFilterFlag);
  },
  run: async (ctx, _args, opts) => {
    if (!opts.force && !(await confirm(ctx, opts.all ? PRUNE_ALL_WARNING : PRUNE_WARNING)))
      throw new CancelledError('volume prune has been cancelled');
    const filters = parseFilters(opts.filter);
    if (opts.all) addFilter(filters, 'all', 'true');
    const report = await ctx
      .client()
      .json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
        query: { filters: filtersJson(filters) },
      });
    const deleted = report?.VolumesDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Volumes:\n${deleted.join('\n')}\n\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report?.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};

/** The `volume` subcommands, in docker's order. */
export const VOLUME_COMMANDS = [createSpec, inspectSpec, lsSpec, pruneSpec, rmSpec];
