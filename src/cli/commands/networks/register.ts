/** The network and volume commands, and `port`. */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { VOLUME_COMMANDS } from '../volumes/volume.js';
import { NETWORK_COMMANDS } from './network.js';
import { portSpec } from './port.js';

export function registerNetworkCommands(program: Command, registrar: Registrar): void {
  const network = registrar.group(program, 'network', 'Manage networks');
  for (const spec of NETWORK_COMMANDS) registrar.add(network, spec as never);
  const volume = registrar.group(program, 'volume', 'Manage volumes');
  for (const spec of VOLUME_COMMANDS) registrar.add(volume, spec as never);
  registrar.add(program, portSpec);
  const container = program.commands.find((cmd) => cmd.name() === 'container');
  if (container) registrar.add(container, portSpec);
}
