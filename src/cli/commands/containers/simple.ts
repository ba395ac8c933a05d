/**
 * Small container commands: pause, unpause, rename, top, diff, export
 * (docker's cli/command/container, same output and messages).
 */
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { tabwrite } from '../../format/index.js';
import { writeFileAtomically } from '../images/save.js';
import { forEachContainer } from './each.js';

const path = (name: string, rest: string) => `/containers/${escapePath(name)}${rest}`;

export const pauseSpec: CommandSpec<Record<string, never>> = {
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  args: { min: 1 },
  run: (ctx, names) =>
    forEachContainer(ctx, names, async (n) => {
      (await ctx.client().request('POST', path(n, '/pause'))).resume();
    }),
};

export const unpauseSpec: CommandSpec<Record<string, never>> = {
  name: 'unpause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  args: { min: 1 },
  run: (ctx, names) =>
    forEachContainer(ctx, names, async (n) => {
      (await ctx.client().request('POST', path(n, '/unpause'))).resume();
    }),
};

export const renameSpec: CommandSpec<Record<string, never>> = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  args: { exact: 2 },
  run: async (ctx, [oldName = '', newName = '']) => {
    if (oldName.trim() === '' || newName.trim() === '')
      throw new StatusError('Error: neither old nor new names may be empty', 1);
    try {
      (await ctx.client().request('POST', path(oldName, '/rename'), { query: { name: newName } })).resume();
    } catch (err) {
      ctx.err(`${err instanceof Error ? `Error response from daemon: ${err.message}` : String(err)}\n`);
      throw new StatusError(`Error: failed to rename container named ${oldName}`, 1);
    }
    return 0;
  },
};

export const topSpec: CommandSpec<Record<string, never>> = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  args: { min: 1 },
  options: (cmd) => {
    cmd.passThroughOptions();
  },
  run: async (ctx, [name = '', ...psArgs]) => {
    const list = await ctx
      .client()
      .json<{ Titles: string[]; Processes: string[][] }>('GET', path(name, '/top'), {
        query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
      });
    // cli/command/container/top.go: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0).
    ctx.out(tabwrite([list.Titles, ...list.Processes], { minWidth: 20, tabWidth: 1, padding: 3 }));
    return 0;
  },
};

const KINDS = ['C', 'A', 'D'];

export const diffSpec: CommandSpec<Record<string, never>> = {
  name: 'diff',
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  args: { exact: 1 },
  run: async (ctx, [name = '']) => {
    const changes = await ctx
      .client()
      .json<{ Kind: number; Path: string }[] | null>('GET', path(name, '/changes'));
    ctx.out((changes ?? []).map((c) => `${KINDS[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
    return 0;
  },
};

export const exportSpec: CommandSpec<{ output?: string }> = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  args: { exact: 1 },
  options: (cmd) => {
    cmd.option('-o, --output <string>', 'Write to a file, instead of STDOUT');
  },
  run: async (ctx, [name = ''], o) => {
    if (!o.output && ctx.stdout.isTerminal)
      throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const res = await ctx.client().request('GET', path(name, '/export'));
    if (o.output) await writeFileAtomically(o.output, res, dirname(resolve(o.output)));
    else await pipeline(res, ctx.stdout.stream, { end: false });
    return 0;
  },
};
