/** `berth network …` (cli/command/network): ls, create, inspect, rm, connect, disconnect, prune. */
import { escapePath } from '../../client.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { CancelledError, errorText, StatusError } from '../../errors.js';
import { filtersJson, parseFilters, validateFilterFlag } from '../../filters.js';
import { formatItems } from '../../format/index.js';
import { inspectObjects } from '../../inspect.js';
import { keyValues, labelsColumn } from '../../key-values.js';
import { confirm } from '../images/prune.js';

interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created: string;
  Internal: boolean;
  EnableIPv6: boolean;
  Labels: Record<string, string> | null;
}

const LS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const LS_HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

interface LsOptions {
  quiet: boolean;
  trunc: boolean;
  format?: string;
  filter?: string[];
}

async function runLs(ctx: CliContext, opts: LsOptions): Promise<number> {
  const networks = await ctx.client().json<NetworkSummary[]>('GET', '/networks', {
    query: { filters: filtersJson(parseFilters(opts.filter)) },
  });
  const rows = [...(networks ?? [])]
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((n) => ({
      ID: opts.trunc ? n.Id.slice(0, 12) : n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      Labels: labelsColumn(n.Labels),
      CreatedAt: n.Created,
    }));
  const format = opts.quiet ? '{{.ID}}' : opts.format || 'table';
  ctx.out(formatItems(rows, format, { defaultTable: LS_TABLE, headers: LS_HEADERS }));
  return 0;
}

interface CreateOptions {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  internal: boolean;
  attachable: boolean;
  ipv6: boolean;
  label?: string[];
  opt?: string[];
}

async function runCreate(ctx: CliContext, name: string, o: CreateOptions): Promise<number> {
  if ((o.subnet?.length ?? 0) > 1) throw new StatusError('multiple subnets are not supported by berth', 1);
  const config = o.subnet?.length
    ? [{ Subnet: o.subnet[0], Gateway: o.gateway?.[0], IPRange: o.ipRange?.[0] }]
    : [];
  if (!o.subnet?.length && (o.gateway?.length || o.ipRange?.length))
    throw new StatusError('every ip-range or gateway must have a corresponding subnet', 1);
  const created = await ctx.client().json<{ Id: string }>('POST', '/networks/create', {
    body: {
      Name: name,
      Driver: o.driver ?? 'bridge',
      Internal: o.internal,
      Attachable: o.attachable,
      EnableIPv6: o.ipv6,
      IPAM: { Driver: 'default', Config: config, Options: {} },
      Options: keyValues(o.opt),
      Labels: keyValues(o.label),
    },
  });
  ctx.out(`${created.Id}\n`);
  return 0;
}

/** docker network rm: each failure printed as it happens, then "exit status 1" (cli/command/network/remove.go). */
async function eachArg(
  ctx: CliContext,
  refs: string[],
  action: (ref: string) => Promise<void>,
): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      await action(ref);
    } catch (err) {
      ctx.err(`${errorText(err)}\n`);
      failed = true;
    }
  }
  if (failed) throw new StatusError('exit status 1', 1);
  return 0;
}

const lsSpec: CommandSpec<LsOptions> = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List networks',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-q, --quiet', 'Only display network IDs');
    flags.bool(cmd, '--no-trunc', 'Do not truncate the output');
    cmd.option('--format <string>', 'Format output using a custom template');
    cmd.option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', validateFilterFlag);
  },
  run: (ctx, _args, opts) => runLs(ctx, opts),
};

const createSpec: CommandSpec<CreateOptions> = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  args: { exact: 1 },
  options: (cmd, flags) => {
    cmd.option('-d, --driver <string>', 'Driver to manage the Network', 'bridge');
    cmd.option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', collect);
    cmd.option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', collect);
    cmd.option('--ip-range <strings>', 'Allocate container ip from a sub-range', collect);
    flags.bool(cmd, '--internal', 'Restrict external access to the network');
    flags.bool(cmd, '--attachable', 'Enable manual container attachment');
    flags.bool(cmd, '--ipv6', 'Enable or disable IPv6 networking');
    cmd.option('--label <list>', 'Set metadata on a network', collect);
    cmd.option('-o, --opt <map>', 'Set driver specific options', collect);
  },
  run: (ctx, args, opts) => runCreate(ctx, args[0]!, opts),
};

const inspectSpec: CommandSpec<{ format?: string }> = {
  name: 'inspect',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  args: { min: 1 },
  options: (cmd) => {
    cmd.option('-f, --format <string>', 'Format output using a custom template');
    cmd.option('-v, --verbose', 'Verbose output for diagnostics');
  },
  run: (ctx, args, opts) =>
    inspectObjects(ctx, args, opts.format, (ref) => ctx.client().text('GET', `/networks/${escapePath(ref)}`)),
};

const rmSpec: CommandSpec<{ force: boolean }> = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  args: { min: 1 },
  options: (cmd, flags) => flags.bool(cmd, '-f, --force', 'Do not error if the network does not exist'),
  run: (ctx, args) =>
    eachArg(ctx, args, async (ref) => {
      await ctx
        .client()
        .request('DELETE', `/networks/${escapePath(ref)}`)
        .then((r) => r.resume());
      ctx.out(`${ref}\n`);
    }),
};

interface ConnectOptions {
  ip?: string;
  alias?: string[];
}

const connectSpec: CommandSpec<ConnectOptions> = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  args: { exact: 2 },
  options: (cmd) => {
    cmd.option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")');
    cmd.option('--alias <strings>', 'Add network-scoped alias for the container', collect);
  },
  run: async (ctx, args, opts) => {
    const [network = '', container = ''] = args;
    await ctx
      .client()
      .request('POST', `/networks/${escapePath(network)}/connect`, {
        body: {
          Container: container,
          EndpointConfig: {
            IPAMConfig: opts.ip ? { IPv4Address: opts.ip } : null,
            Aliases: opts.alias ?? [],
          },
        },
      })
      .then((r) => r.resume());
    return 0;
  },
};

const disconnectSpec: CommandSpec<{ force: boolean }> = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  args: { exact: 2 },
  options: (cmd, flags) => flags.bool(cmd, '-f, --force', 'Force the container to disconnect from a network'),
  run: async (ctx, args, opts) => {
    const [network = '', container = ''] = args;
    await ctx
      .client()
      .request('POST', `/networks/${escapePath(network)}/disconnect`, {
        body: { Container: container, Force: opts.force },
      })
      .then((r) => r.resume());
    return 0;
  },
};

const PRUNE_WARNING = `WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue?`;

const pruneSpec: CommandSpec<{ force: boolean; filter?: string[] }> = {
  name: 'prune',
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  args: { none: true },
  options: (cmd, flags) => {
    flags.bool(cmd, '-f, --force', 'Do not prompt for confirmation');
    cmd.option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', validateFilterFlag);
  },
  run: async (ctx, _args, opts) => {
    if (!opts.force && !(await confirm(ctx, PRUNE_WARNING)))
      throw new CancelledError('network prune has been cancelled');
    const report = await ctx.client().json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', {
      query: { filters: filtersJson(parseFilters(opts.filter)) },
    });
    const deleted = report?.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.join('\n')}\n\n`);
    return 0;
  },
};

/** The `network` subcommands, in docker's order. */
export const NETWORK_COMMANDS = [
  connectSpec,
  createSpec,
  disconnectSpec,
  inspectSpec,
  lsSpec,
  pruneSpec,
  rmSpec,
];
