/** The container commands (a first set: run, ps / container ls). */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { psSpec } from './ps.js';
import { runSpec } from './run.js';

export function registerContainerCommands(program: Command, registrar: Registrar): void {
  const container = registrar.group(program, 'container', 'Manage containers');
  registrar.add(container, runSpec);
  registrar.add(container, psSpec('ls'));
  registrar.add(program, runSpec);
  registrar.add(program, psSpec('ps'));
}
