/** The registry commands: `login`, `logout`, `pull`, `push` (and `image pull|push`, registered with the image group). */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { loginSpec, logoutSpec } from './login.js';
import { pullSpec, pushSpec } from './pull-push.js';

export function registerRegistryCommands(program: Command, registrar: Registrar): void {
  registrar.add(program, loginSpec);
  registrar.add(program, logoutSpec);
  registrar.add(program, pullSpec);
  registrar.add(program, pushSpec);
}
