/** `berth build` and `berth commit` (with their `image build` / `container commit` forms). */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { commitSpec } from './commit.js';

export function registerBuildCommands(program: Command, registrar: Registrar): void {
  registrar.add(program, commitSpec);
}
