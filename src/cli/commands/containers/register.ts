/** The container commands: run, ps / container ls, and the operations (pause … cp). */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { cpSpec } from './cp.js';
import { containerPruneSpec } from './prune.js';
import { psSpec } from './ps.js';
import { runSpec } from './run.js';
import { diffSpec, exportSpec, pauseSpec, renameSpec, topSpec, unpauseSpec } from './simple.js';
import { statsSpec } from './stats.js';
import { updateSpec } from './update.js';

/** Commands that exist both at the top level and under `container`. */
const OPERATIONS = [
  pauseSpec,
  unpauseSpec,
  topSpec,
  statsSpec,
  renameSpec,
  updateSpec,
  cpSpec,
  exportSpec,
  diffSpec,
];

export function registerContainerCommands(program: Command, registrar: Registrar): void {
  const container = registrar.group(program, 'container', 'Manage containers');
  registrar.add(container, runSpec);
  registrar.add(container, psSpec('ls'));
  registrar.add(container, containerPruneSpec);
  registrar.add(program, runSpec);
  registrar.add(program, psSpec('ps'));
  for (const spec of OPERATIONS) {
    registrar.add(container, spec as never);
    registrar.add(program, spec as never);
  }
}
