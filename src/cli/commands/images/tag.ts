/** `berth tag` / `berth image tag` (cli/command/image/tag.go with the client's ImageTag checks). */
import {
  parseAnyReference,
  parseNormalizedNamed,
  referenceName,
  tagNameOnly,
} from '../../../images/reference.js';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { errorText } from '../../errors.js';

const notValid = (text: string, err: unknown) =>
  new Error(`Error parsing reference: "${text}" is not a valid repository/tag: ${errorText(err)}`);

/** Checks both names as docker's client does, then POST /images/{source}/tag?repo=&tag=. */
export async function tagImage(ctx: CliContext, source: string, target: string): Promise<void> {
  try {
    parseAnyReference(source);
  } catch (err) {
    throw notValid(source, err);
  }
  let ref: ReturnType<typeof parseNormalizedNamed>;
  try {
    ref = parseNormalizedNamed(target);
  } catch (err) {
    throw notValid(target, err);
  }
  if (ref.digest !== undefined) throw new Error('refusing to create a tag with a digest reference');
  ref = tagNameOnly(ref);
  const res = await ctx.client().request('POST', `/images/${escapePath(source)}/tag`, {
    query: { repo: referenceName(ref), tag: ref.tag },
  });
  res.resume();
}

/** The tag command. */
export const tagSpec: CommandSpec<Record<string, never>> = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: { exact: 2 },
  run: async (ctx, args) => {
    await tagImage(ctx, args[0]!, args[1]!);
    return 0;
  },
};
