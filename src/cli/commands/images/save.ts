/**
 * `berth save` / `berth image save` (cli/command/image/save.go): the archive
 * from GET /images/get goes to stdout, or atomically to a file with -o.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { goFsError } from '../../errors.js';
import { interruptible } from '../../interrupt.js';
import { encodePlatform } from '../../platform.js';

/** The command's flags, as commander parses them. */
export interface SaveOptions {
  output?: string;
  platform?: string;
}

/** What moby's atomicwriter refuses to replace, by kind of file. */
function refusal(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'cannot write to a directory';
  if (info.isSymbolicLink()) return 'cannot write to a symbolic link directly';
  if (info.isFIFO()) return 'cannot write to a named pipe (FIFO)';
  if (info.isSocket()) return 'cannot write to a socket';
  if (info.isCharacterDevice()) return 'cannot write to a character device file';
  return 'cannot write to a block device file';
}

/** Checks an output path as moby's atomicwriter does; returns the directory to write in. */
async function checkOutputPath(path: string): Promise<string> {
  const dir = dirname(path);
  if (dir !== '.' && dir !== '..') {
    const dirInfo = await stat(dir).catch((err: unknown) => {
      throw new Error(`invalid output path: ${goFsError(err).message}`);
    });
    if (!dirInfo.isDirectory()) throw new Error(`invalid output path: stat ${dir}: not a directory`);
  }
  const info = await lstat(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`failed to stat output path: ${goFsError(err).message}`);
  });
  const refused = info && refusal(info);
  if (refused) throw new Error(refused);
  return dirname(resolve(path));
}

/**
 * Writes a stream to path through a temp file beside it: complete, mode 0600,
 * or not at all (also when the signal aborts the copy).
 */
export async function writeFileAtomically(
  path: string,
  body: Readable,
  dir: string,
  signal?: AbortSignal,
): Promise<void> {
  const temp = join(dir, `.tmp-${basename(path)}${randomBytes(5).toString('hex')}`);
  const file = await open(temp, 'wx', 0o600);
  try {
    for await (const chunk of body) {
      signal?.throwIfAborted();
      await file.write(chunk as Buffer);
    }
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (err) {
    await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
}

async function runSave(ctx: CliContext, images: string[], opts: SaveOptions): Promise<number> {
  let dir: string | undefined;
  if (opts.output === undefined || opts.output === '') {
    if (ctx.stdout.isTerminal) {
      throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
  } else {
    try {
      dir = await checkOutputPath(opts.output);
    } catch (err) {
      throw new Error(`failed to save image: ${(err as Error).message}`);
    }
  }
  if (opts.platform) await ctx.client().requireVersion('1.48', 'platform');
  const query = { names: images, platform: opts.platform ? encodePlatform(opts.platform) : undefined };
  const output = opts.output;
  await interruptible(async (signal) => {
    const res = await ctx.client().request('GET', '/images/get', { query, signal });
    signal.addEventListener('abort', () => res.destroy(), { once: true });
    if (dir !== undefined && output) await writeFileAtomically(output, res, dir, signal);
    else await pipeline(res, ctx.stdout.stream, { end: false });
  });
  return 0;
}

/** The save command (top level and under `image`). */
export const saveSpec: CommandSpec<SaveOptions> = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { min: 1 },
  options: (cmd) => {
    cmd.option('-o, --output <string>', 'Write to a file, instead of STDOUT');
    cmd.option(
      '--platform <string>',
      'Save only the given platform variant. Formatted as "os[/arch[/variant]]"',
    );
  },
  run: (ctx, args, opts) => runSave(ctx, args, opts),
};
