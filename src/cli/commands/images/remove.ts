/** `berth rmi` / `berth image rm` (cli/command/image/remove.go). */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { errorText, isNotFound, StatusError } from '../../errors.js';
import type { DeleteItem } from './types.js';

/** The command's flags, as commander parses them. */
export interface RemoveOptions {
  force: boolean;
  prune: boolean;
}

/** "Untagged: x" and "Deleted: sha256:…" lines for a delete answer. */
export function deleteLines(items: readonly DeleteItem[]): string {
  return items
    .map((item) => (item.Deleted ? `Deleted: ${item.Deleted}\n` : `Untagged: ${item.Untagged}\n`))
    .join('');
}

/**
 * Removes each image, printing what the daemon untagged and deleted. With
 * --force, images that do not exist are reported but do not fail the command.
 */
async function runRemove(ctx: CliContext, images: string[], opts: RemoveOptions): Promise<number> {
  const errors: string[] = [];
  let fatal = false;
  for (const image of images) {
    try {
      const items = await ctx.client().json<DeleteItem[]>('DELETE', `/images/${escapePath(image)}`, {
        query: { force: opts.force || undefined, noprune: opts.prune ? undefined : true },
      });
      ctx.out(deleteLines(items ?? []));
    } catch (err) {
      if (!isNotFound(err)) fatal = true;
      errors.push(errorText(err));
    }
  }
  if (errors.length === 0) return 0;
  if (!opts.force || fatal) throw new StatusError(errors.join('\n'), 1);
  ctx.err(`${errors.join('\n')}\n`);
  return 0;
}

/** The remove command: `rmi` at the top level, `rm` (aliases `rmi`, `remove`) under `image`. */
export function removeSpec(name: 'rmi' | 'rm'): CommandSpec<RemoveOptions> {
  return {
    name,
    aliases: name === 'rm' ? ['rmi', 'remove'] : [],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    args: { min: 1 },
    options: (cmd, flags) => {
      flags.bool(cmd, '-f, --force', 'Force removal of the image');
      flags.bool(cmd, '--no-prune', 'Do not delete untagged parents');
    },
    run: (ctx, args, opts) => runRemove(ctx, args, opts),
  };
}
