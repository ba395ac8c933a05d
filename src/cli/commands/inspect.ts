/**
 * `berth inspect`: low-level information on any object (cli/command/system/inspect.go).
 * Without --type it tries, in docker's order, a container, an image, a
 * network, a volume, (swarm objects on a manager,) and a plugin; a 404 moves
 * on to the next kind.
 */
import { escapePath } from '../client.js';
import type { CommandSpec } from '../command-spec.js';
import type { CliContext } from '../context.js';
import { isNotFound, StatusError } from '../errors.js';
import { inspectObjects } from '../inspect.js';
import { inspectImageRaw } from './images/inspect.js';

const ALL_TYPES = [
  'config',
  'container',
  'image',
  'network',
  'node',
  'plugin',
  'secret',
  'service',
  'task',
  'volume',
];
const TYPE_LIST = `"${ALL_TYPES.join('", "')}"`;

interface ObjectKind {
  readonly type: string;
  readonly swarm: boolean;
  readonly sizeSupported: boolean;
  readonly fetch: (ctx: CliContext, ref: string, size: boolean) => Promise<string>;
}

const byPath =
  (prefix: string, suffix = '') =>
  (ctx: CliContext, ref: string) =>
    ctx.client().text('GET', `${prefix}/${escapePath(ref)}${suffix}`);

/** The kinds docker tries, in its order. */
const KINDS: readonly ObjectKind[] = [
  {
    type: 'container',
    swarm: false,
    sizeSupported: true,
    fetch: (ctx, ref, size) =>
      ctx.client().text('GET', `/containers/${escapePath(ref)}/json`, { query: { size: size || undefined } }),
  },
  { type: 'image', swarm: false, sizeSupported: false, fetch: inspectImageRaw },
  { type: 'network', swarm: false, sizeSupported: false, fetch: byPath('/networks') },
  { type: 'volume', swarm: false, sizeSupported: false, fetch: byPath('/volumes') },
  { type: 'service', swarm: true, sizeSupported: false, fetch: byPath('/services', '?insertDefaults=1') },
  { type: 'task', swarm: true, sizeSupported: false, fetch: byPath('/tasks') },
  { type: 'node', swarm: true, sizeSupported: false, fetch: byPath('/nodes') },
  { type: 'plugin', swarm: false, sizeSupported: false, fetch: byPath('/plugins', '/json') },
  { type: 'secret', swarm: true, sizeSupported: false, fetch: byPath('/secrets') },
  { type: 'config', swarm: true, sizeSupported: false, fetch: byPath('/configs') },
];

/** Errors that send the search on to the next kind. */
function isSkippable(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return isNotFound(err) || text.includes('not supported') || text.includes('invalid reference format');
}

/** The command's flags, as commander parses them. */
export interface InspectOptions {
  format?: string;
  type?: string;
  size: boolean;
}

/** Finds one reference among the kinds allowed. */
function searcher(ctx: CliContext, opts: InspectOptions): (ref: string) => Promise<string> {
  let swarmManager: Promise<boolean> | undefined;
  const isSwarmManager = () => {
    swarmManager ??= ctx
      .client()
      .json<{ Swarm?: { ControlAvailable?: boolean } }>('GET', '/info')
      .then(
        (info) => info?.Swarm?.ControlAvailable === true,
        (err: unknown) => {
          ctx.err(`${err instanceof Error ? err.message : String(err)}\n`);
          return false;
        },
      );
    return swarmManager;
  };
  return async (ref) => {
    for (const kind of KINDS) {
      if (opts.type && kind.type !== opts.type) continue;
      if (!opts.type && kind.swarm && !(await isSwarmManager())) continue;
      try {
        const raw = await kind.fetch(ctx, ref, opts.size);
        if (opts.size && !kind.sizeSupported) ctx.err(`WARNING: --size ignored for ${kind.type}\n`);
        return raw;
      } catch (err) {
        if (!opts.type && isSkippable(err)) continue;
        throw err;
      }
    }
    throw new Error(`Error: No such object: ${ref}`);
  };
}

async function runInspect(ctx: CliContext, refs: string[], opts: InspectOptions): Promise<number> {
  if (opts.type === '') throw new StatusError(`type is empty: must be one of ${TYPE_LIST}`, 1);
  if (opts.type !== undefined && !ALL_TYPES.includes(opts.type)) {
    throw new StatusError(`unknown type: "${opts.type}": must be one of ${TYPE_LIST}`, 1);
  }
  return inspectObjects(ctx, refs, opts.format, searcher(ctx, opts));
}

/** The generic inspect command. */
export const inspectSpec: CommandSpec<InspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Berth objects',
  args: { min: 1 },
  options: (cmd, flags) => {
    cmd.option('-f, --format <string>', 'Format output using a custom template');
    cmd.option('--type <string>', 'Only inspect objects of the given type');
    flags.bool(cmd, '-s, --size', 'Display total file sizes if the type is container');
  },
  run: (ctx, args, opts) => runInspect(ctx, args, opts),
};

/** `container inspect`: the generic inspect, containers only. */
export const containerInspectSpec: CommandSpec<Omit<InspectOptions, 'type'>> = {
  name: 'inspect',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  args: { min: 1 },
  options: (cmd, flags) => {
    cmd.option('-f, --format <string>', 'Format output using a custom template');
    flags.bool(cmd, '-s, --size', 'Display total file sizes');
  },
  run: (ctx, args, opts) => runInspect(ctx, args, { ...opts, type: 'container' }),
};
