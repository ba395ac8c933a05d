import type { CliContext } from '../../context.js';
import { errorText, StatusError } from '../../errors.js';

/**
 * docker's pattern for commands over several containers (pause, unpause,
 * update): each one is tried; successes print the name as given; failures
 * are gathered and printed together at the end, exit status 1.
 */
export async function forEachContainer(
  ctx: CliContext,
  names: readonly string[],
  action: (name: string) => Promise<void>,
): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await action(name);
      ctx.out(`${name}\n`);
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
  return 0;
}
