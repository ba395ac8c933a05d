/** `berth stop / kill / restart / rm / wait / create` (cli/command/container/*.go). */
import { ApiError, escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { errorText, StatusError } from '../../errors.js';
import { type CreateOptions, createBody, createContainer, declareCreateOptions } from './create-options.js';
import { waitStatus } from './hijack-io.js';

/**
 * Runs one request per container, printing each name as given on success and
 * each failure on stderr; any failure makes the command exit 1, as docker's
 * multi-container commands do.
 */
async function forEach(
  ctx: CliContext,
  names: string[],
  action: (name: string) => Promise<string | undefined>,
  failureSummary?: (failed: string[]) => string,
): Promise<number> {
  const errors: string[] = [];
  const failed: string[] = [];
  for (const name of names) {
    try {
      const out = await action(name);
      if (out !== undefined) ctx.out(`${out}\n`);
    } catch (err) {
      errors.push(errorText(err));
      failed.push(name);
    }
  }
  if (errors.length === 0) return 0;
  const summary = failureSummary ? `\n${failureSummary(failed)}` : '';
  throw new StatusError(`${errors.join('\n')}${summary}`, 1);
}

const post = async (
  ctx: CliContext,
  path: string,
  query: Record<string, string | boolean | undefined> = {},
) => {
  const res = await ctx.client().request('POST', path, { query });
  res.resume();
};

interface StopOptions {
  time?: string;
  timeout?: string;
  signal?: string;
}

function stopLike(name: 'stop' | 'restart'): CommandSpec<StopOptions> {
  return {
    name,
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: name === 'stop' ? 'Stop one or more running containers' : 'Restart one or more containers',
    args: { min: 1 },
    options: (cmd) => {
      cmd
        .option('-s, --signal <string>', 'Signal to send to the container')
        .option('-t, --timeout <int>', 'Seconds to wait before killing the container')
        .option('--time <int>', 'Seconds to wait before killing the container (deprecated: use --timeout)');
    },
    run: (ctx, args, o) => {
      const t = o.timeout ?? o.time;
      if (t !== undefined && !/^-?\d+$/.test(t))
        throw new StatusError(
          `invalid argument "${t}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${t}": invalid syntax`,
          125,
        );
      return forEach(ctx, args, async (c) => {
        await post(ctx, `/containers/${escapePath(c)}/${name}`, { t, signal: o.signal });
        return c;
      });
    },
  };
}

export const stopSpec = stopLike('stop');
export const restartSpec = stopLike('restart');

export const killSpec: CommandSpec<{ signal?: string }> = {
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  args: { min: 1 },
  options: (cmd) => cmd.option('-s, --signal <string>', 'Signal to send to the container'),
  run: (ctx, args, o) =>
    forEach(ctx, args, async (c) => {
      await post(ctx, `/containers/${escapePath(c)}/kill`, { signal: o.signal });
      return c;
    }),
};

export const waitSpec: CommandSpec<Record<string, never>> = {
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  args: { min: 1 },
  run: (ctx, args) =>
    forEach(ctx, args, async (c) => {
      const res = await ctx.client().request('POST', `/containers/${escapePath(c)}/wait`, {
        query: { condition: 'not-running' },
      });
      return String(await waitStatus(res));
    }),
};

interface RemoveOptions {
  force?: boolean;
  volumes?: boolean;
  link?: boolean;
}

export function rmSpec(name: 'rm' | 'remove'): CommandSpec<RemoveOptions> {
  return {
    name,
    ...(name === 'rm' ? { aliases: ['remove'] } : {}),
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    args: { min: 1 },
    options: (cmd, flags) => {
      flags.bool(cmd, '-f, --force', 'Force the removal of a running container (uses SIGKILL)');
      flags.bool(cmd, '-v, --volumes', 'Remove anonymous volumes associated with the container');
      flags.bool(cmd, '-l, --link', 'Remove the specified link');
    },
    run: (ctx, args, o) =>
      forEach(ctx, args, async (c) => {
        try {
          // docker trims the slashes: a link's name is given as "/parent/alias".
          const ref = c.replace(/^\/+|\/+$/g, '');
          const res = await ctx.client().request('DELETE', `/containers/${escapePath(ref)}`, {
            query: { force: o.force || undefined, v: o.volumes || undefined, link: o.link || undefined },
          });
          res.resume();
        } catch (err) {
          // docker rm -f of a container that is not there says so but does not fail.
          if (o.force && err instanceof ApiError && err.status === 404) {
            ctx.err(`${errorText(err)}\n`);
            return undefined;
          }
          throw err;
        }
        return c;
      }),
  };
}

export const createSpec: CommandSpec<CreateOptions> = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  args: { min: 1 },
  options: (cmd) => {
    declareCreateOptions(cmd);
    cmd.passThroughOptions();
  },
  run: async (ctx, args, o) => {
    const body = await createBody(args[0]!, args.slice(1), o, false, 'create');
    const created = await createContainer(ctx, args[0]!, body, o.name, 1, o);
    ctx.out(`${created.Id}\n`);
    return 0;
  },
};
