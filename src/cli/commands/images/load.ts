/**
 * `berth load` / `berth image load` (cli/command/image/load.go): streams an
 * archive to POST /images/load and shows the daemon's progress.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { goFsError } from '../../errors.js';
import { displayJsonMessages } from '../../jsonmessage.js';
import { encodePlatform } from '../../platform.js';

/** The command's flags, as commander parses them. */
export interface LoadOptions {
  input?: string;
  quiet: boolean;
  platform?: string;
}

/** Opens a file for streaming; its errors read as Go's ("open x: no such file or directory"). */
export async function openInput(path: string): Promise<Readable> {
  try {
    const handle = await open(path, 'r');
    return handle.createReadStream();
  } catch (err) {
    throw goFsError(err);
  }
}

async function runLoad(ctx: CliContext, opts: LoadOptions): Promise<number> {
  let input: Readable;
  if (opts.input) input = await openInput(opts.input);
  else if (ctx.stdin.isTerminal) throw new Error('requested load from stdin, but stdin is empty');
  else input = ctx.stdin.stream;
  // On a terminal the daemon sends layer progress; elsewhere only the result lines.
  const quiet = opts.quiet || !ctx.stdout.isTerminal;
  if (opts.platform) await ctx.client().requireVersion('1.48', 'platform');
  const res = await ctx.client().request('POST', '/images/load', {
    query: { quiet: quiet ? '1' : '0', platform: opts.platform ? encodePlatform(opts.platform) : undefined },
    headers: { 'Content-Type': 'application/x-tar' },
    upload: input,
  });
  if (res.headers['content-type'] === 'application/json') await displayJsonMessages(res, ctx.stdout);
  else await pipeline(res, ctx.stdout.stream, { end: false });
  return 0;
}

/** The load command (top level and under `image`). */
export const loadSpec: CommandSpec<LoadOptions> = {
  name: 'load',
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  args: { none: true },
  options: (cmd, flags) => {
    cmd.option('-i, --input <string>', 'Read from tar archive file, instead of STDIN');
    flags.bool(cmd, '-q, --quiet', 'Suppress the load output');
    cmd.option(
      '--platform <string>',
      'Load only the given platform variant. Formatted as "os[/arch[/variant]]"',
    );
  },
  run: (ctx, _args, opts) => runLoad(ctx, opts),
};
