/**
 * The system commands: `version`, `info`, `events` (top level and under
 * `system`), `system df` and the top-level generic `inspect`.
 */
import type { Command } from 'commander';
import type { CommandSpec, Registrar } from '../../command-spec.js';
import { validateFilterFlag } from '../../filters.js';
import { eventsCommand } from '../events.js';
import { infoCommand } from '../info.js';
import { inspectSpec } from '../inspect.js';
import { versionCommand } from '../version.js';
import { checkSpec } from './check.js';
import { dfSpec } from './df.js';

interface FormatOption {
  format?: string;
}

const versionSpec: CommandSpec<FormatOption> = {
  name: 'version',
  usage: '[OPTIONS]',
  description: 'Show the Berth version information',
  args: { none: true },
  options: (cmd) => cmd.option('-f, --format <string>', 'Format output using a custom template'),
  run: (ctx, _args, opts) => versionCommand(ctx, opts),
};

const infoSpec: CommandSpec<FormatOption> = {
  name: 'info',
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  args: { none: true },
  options: (cmd) => cmd.option('-f, --format <string>', 'Format output using a custom template'),
  run: (ctx, _args, opts) => infoCommand(ctx, opts),
};

interface EventsOptions extends FormatOption {
  since?: string;
  until?: string;
  filter?: string[];
}

const eventsSpec: CommandSpec<EventsOptions> = {
  name: 'events',
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  args: { none: true },
  options: (cmd) => {
    cmd.option('--since <string>', 'Show all events created since timestamp');
    cmd.option('--until <string>', 'Stream events until this timestamp');
    cmd.option('-f, --filter <filter>', 'Filter output based on conditions provided', validateFilterFlag);
    cmd.option('--format <string>', 'Format output using a custom template');
  },
  run: (ctx, _args, opts) => eventsCommand(ctx, opts),
};

/** Adds the system family to the program. */
export function registerSystemCommands(program: Command, registrar: Registrar): void {
  for (const spec of [versionSpec, infoSpec, eventsSpec]) registrar.add(program, spec);
  registrar.add(program, inspectSpec);
  const system = registrar.group(program, 'system', 'Manage Berth');
  for (const spec of [versionSpec, infoSpec, eventsSpec]) registrar.add(system, spec);
  registrar.add(system, dfSpec);
  registrar.add(system, checkSpec);
}
