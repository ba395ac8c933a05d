/** The container commands: top-level (run, ps, exec, logs, …) and under `container`. */
import type { Command } from 'commander';
import type { CommandSpec, Registrar } from '../../command-spec.js';
import { containerInspectSpec } from '../inspect.js';
import { attachSpec, startSpec } from './attach.js';
import { cpSpec } from './cp.js';
import { execSpec } from './exec.js';
import { createSpec, killSpec, restartSpec, rmSpec, stopSpec, waitSpec } from './lifecycle.js';
import { logsSpec } from './logs.js';
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
  const both = <Options>(spec: CommandSpec<Options>) => {
    registrar.add(container, spec);
    registrar.add(program, spec);
  };
  both(runSpec);
  both(createSpec);
  both(startSpec);
  both(stopSpec);
  both(restartSpec);
  both(killSpec);
  both(waitSpec);
  both(attachSpec);
  both(logsSpec);
  both(execSpec);
  both(rmSpec('rm'));
  registrar.add(container, psSpec('ls'));
  registrar.add(container, containerInspectSpec);
  registrar.add(container, containerPruneSpec);
  registrar.add(program, psSpec('ps'));
  for (const spec of OPERATIONS) {
    registrar.add(container, spec as never);
    registrar.add(program, spec as never);
  }
}
