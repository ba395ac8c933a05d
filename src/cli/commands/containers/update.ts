/** `berth update` (cli/command/container/update.go). */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { forEachContainer } from './each.js';
import { declareResourceFlags, type ResourceFlagOptions, resourceFields } from './resource-flags.js';
import { parseRestartPolicy } from './restart-flag.js';

interface UpdateOptions extends ResourceFlagOptions {
  restart?: string;
}

function updateBody(o: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...resourceFields(o),
    RestartPolicy: o.restart !== undefined ? parseRestartPolicy(o.restart) : undefined,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export const updateSpec: CommandSpec<UpdateOptions> = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  args: { min: 1 },
  options: (cmd) => {
    declareResourceFlags(cmd);
    cmd.option('--restart <string>', 'Restart policy to apply when a container exits');
  },
  run: (ctx, names, o) => {
    const body = updateBody(o);
    if (Object.keys(body).length === 0)
      throw new StatusError('you must provide one or more flags when using this command', 1);
    return forEachContainer(ctx, names, async (name) => {
      await ctx.client().json('POST', `/containers/${escapePath(name)}/update`, { body });
    });
  },
};
