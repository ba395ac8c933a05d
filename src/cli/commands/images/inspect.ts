/** `berth image inspect`: the daemon's image JSON (cli/command/image/inspect.go). */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { inspectObjects } from '../../inspect.js';

/** GET /images/{name}/json as raw text; an empty name is docker's client-side not-found. */
export async function inspectImageRaw(ctx: CliContext, ref: string): Promise<string> {
  if (ref === '') throw new NotFoundError('Error: No such image: ');
  return ctx.client().text('GET', `/images/${escapePath(ref)}/json`);
}

/** The command's flags, as commander parses them. */
export interface ImageInspectOptions {
  format?: string;
}

/** The image inspect command. */
export const imageInspectSpec: CommandSpec<ImageInspectOptions> = {
  name: 'inspect',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  args: { min: 1 },
  options: (cmd) => {
    cmd.option(
      '-f, --format <string>',
      "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.",
    );
  },
  run: (ctx, args, opts) => inspectObjects(ctx, args, opts.format, (ref) => inspectImageRaw(ctx, ref)),
};
