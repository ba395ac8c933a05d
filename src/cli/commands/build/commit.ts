/**
 * `berth commit` / `berth container commit` (cli/command/container/commit.go):
 * a container's changes become a new image through POST /commit.
 */
import { parseNormalizedNamed } from '../../../images/reference.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';

export interface CommitOptions {
  author?: string;
  change?: string[];
  message?: string;
  pause?: boolean;
}

async function runCommit(ctx: CliContext, args: string[], opts: CommitOptions): Promise<number> {
  const [container, reference] = args as [string, string | undefined];
  let repo: string | undefined;
  let tag: string | undefined;
  if (reference) {
    const ref = parseNormalizedNamed(reference);
    if (ref.digest !== undefined) throw new Error('refusing to create a tag with a digest reference');
    // Split "repo:tag" on the last colon after the last slash, as docker's client does.
    const slash = reference.lastIndexOf('/');
    const colon = reference.lastIndexOf(':');
    if (colon > slash) {
      repo = reference.slice(0, colon);
      tag = reference.slice(colon + 1);
    } else repo = reference;
  }
  const res = await ctx.client().json<{ Id: string }>('POST', '/commit', {
    query: {
      container,
      repo,
      tag,
      comment: opts.message || undefined,
      author: opts.author || undefined,
      pause: opts.pause === false ? '0' : '1',
      changes: opts.change?.length ? opts.change : undefined,
    },
  });
  ctx.out(`${res.Id}\n`);
  return 0;
}

export const commitSpec: CommandSpec<CommitOptions> = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  args: { min: 1 },
  options: (cmd, flags) => {
    cmd.option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")');
    cmd.option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, []);
    cmd.option('-m, --message <string>', 'Commit message');
    flags.bool(cmd, '-p, --pause', 'Pause container during commit', true);
  },
  run: (ctx, args, opts) => runCommit(ctx, args, opts),
};
