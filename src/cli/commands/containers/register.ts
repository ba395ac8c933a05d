/** The container commands: top-level (run, ps, exec, logs, …) and under `container`. */
import type { Command } from 'commander';
import type { CommandSpec, Registrar } from '../../command-spec.js';
import { attachSpec, startSpec } from './attach.js';
import { execSpec } from './exec.js';
import { createSpec, killSpec, restartSpec, rmSpec, stopSpec, waitSpec } from './lifecycle.js';
import { logsSpec } from './logs.js';
import { psSpec } from './ps.js';
import { runSpec } from './run.js';

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
  registrar.add(program, psSpec('ps'));
}
