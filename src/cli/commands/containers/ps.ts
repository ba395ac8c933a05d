/** `berth ps` / `container ls` (cli/command/container/list.go with docker's default table). */

import { formatHumanSize } from '../../../core/units.js';
import type { CommandSpec } from '../../command-spec.js';
import { collect } from '../../command-spec.js';
import { filtersToJson } from '../../filters.js';
import { defineFunction, TemplateMethod } from '../../format/functions.js';
import { formatItems } from '../../format/index.js';
import { type FormatterRow, formatterRow } from '../../format/row.js';
import { GO_TYPE } from '../../format/values.js';
import { ellipsis, goTimeString, timeAgo, truncateId } from '../../human.js';

interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  /** false with --no-trunc (commander's negated flag). */
  trunc?: boolean;
  filter?: string[];
  format?: string;
  last?: string;
  latest?: boolean;
  size?: boolean;
}

interface Summary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  Status: string;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string>;
  State: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[];
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
}

const HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  Names: 'NAMES',
  CreatedAt: 'CREATED AT',
  State: 'STATE',
  Labels: 'LABELS',
  Size: 'SIZE',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};
const DEFAULT_TABLE =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

function ports(list: Summary['Ports']): string {
  return list
    .map((p) =>
      p.PublicPort
        ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
        : `${p.PrivatePort}/${p.Type}`,
    )
    .join(', ');
}

/** docker's Names column: every name with --no-trunc, else the container's own (no link's "parent/alias"). */
function names(all: readonly string[], noTrunc: boolean): string {
  const stripped = all.map((n) => n.replace(/^\//, ''));
  const own = stripped.find((n) => !n.includes('/'));
  return noTrunc || own === undefined ? stripped.join(',') : own;
}

/** docker's ContainerContext: the fields a template sees, `.Label "key"`, and its JSON. */
function row(c: Summary, noTrunc: boolean): FormatterRow {
  const command = noTrunc ? c.Command : ellipsis(c.Command, 20);
  const labels = c.Labels ?? {};
  const fields = formatterRow({
    ID: noTrunc ? c.Id : truncateId(c.Id),
    Image: c.Image,
    Command: `"${command}"`,
    RunningFor: timeAgo(c.Created),
    CreatedAt: goTimeString(c.Created),
    Status: c.Status,
    State: c.State,
    Ports: ports(c.Ports),
    Names: names(c.Names, noTrunc),
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(','),
    Size: sizeText(c),
    Mounts: (c.Mounts ?? [])
      .map((m) => (noTrunc ? m.Name || m.Source || '' : ellipsis(m.Name || m.Source || '', 15)))
      .join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(','),
  });
  // Docker's Platform is a pointer: null when the daemon does not say.
  (fields as Record<string, unknown>)['Platform'] = null;
  Object.defineProperty(fields, GO_TYPE, { value: '*formatter.ContainerContext', enumerable: false });
  Object.defineProperty(fields, 'Label', {
    value: new TemplateMethod(defineFunction(['string'], (key) => labels[key as string] ?? '')),
    enumerable: false,
  });
  return fields;
}

/** docker's Size column: the writable layer, and with the image "(virtual …)". */
function sizeText(c: Summary): string {
  const rw = formatHumanSize(c.SizeRw ?? 0, 3);
  return c.SizeRootFs ? `${rw} (virtual ${formatHumanSize(c.SizeRootFs, 3)})` : rw;
}

export const psSpec = (name: string): CommandSpec<PsOptions> => ({
  name,
  usage: '[OPTIONS]',
  description: 'List containers',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all', 'Show all containers (default shows just running)');
    flags.bool(cmd, '-q, --quiet', 'Only display container IDs');
    flags.bool(cmd, '--no-trunc', "Don't truncate output");
    flags.bool(cmd, '-l, --latest', 'Show the latest created container (includes all states)');
    cmd.option('-f, --filter <filter>', 'Filter output based on conditions provided', collect);
    cmd.option('--format <string>', 'Format output using a custom template');
    cmd.option('-n, --last <int>', 'Show n last created containers (includes all states)');
    flags.bool(cmd, '-s, --size', 'Display total file sizes');
  },
  run: async (ctx, _args, o) => {
    const limit = o.latest ? 1 : o.last !== undefined ? Number(o.last) : undefined;
    // As docker: a template that shows .Size, or all of a row, asks for sizes.
    const size =
      o.size === true ||
      (!o.quiet && o.format !== undefined && /\.Size\b|\{\{\s*json\s+\.\s*\}\}/.test(o.format));
    const noTrunc = o.trunc === false;
    const list = await ctx.client().json<Summary[]>('GET', '/containers/json', {
      query: {
        all: Boolean(o.all) || limit !== undefined,
        filters: filtersToJson(o.filter),
        limit,
        ...(size ? { size: true } : {}),
      },
    });
    if (o.quiet && o.format)
      ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    if (o.quiet) {
      ctx.out(list.map((c) => `${noTrunc ? c.Id : truncateId(c.Id)}\n`).join(''));
      return 0;
    }
    const rows = list.map((c) => row(c, noTrunc));
    const defaultTable = size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
    ctx.out(
      formatItems(rows, o.format, {
        defaultTable,
        headers: HEADERS,
        // docker's ps checks the template itself first (for .Size), with its own words.
        errorWords: { parse: 'failed to parse template', execute: 'failed to execute template' },
      }),
    );
    return 0;
  },
});
