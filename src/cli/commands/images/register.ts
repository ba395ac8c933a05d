/**
 * The image commands: `berth image …` and docker's top-level shortcuts
 * (`images`, `rmi`, `tag`, `save`, `load`, `import`, `history`).
 */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { pullSpec, pushSpec } from '../registry/pull-push.js';
import { historySpec } from './history.js';
import { importSpec } from './import.js';
import { imageInspectSpec } from './inspect.js';
import { listSpec } from './list.js';
import { loadSpec } from './load.js';
import { pruneSpec } from './prune.js';
import { removeSpec } from './remove.js';
import { saveSpec } from './save.js';
import { tagSpec } from './tag.js';

/** Adds `image` and its subcommands, and the top-level image commands, to the program. */
export function registerImageCommands(program: Command, registrar: Registrar): void {
  const image = registrar.group(program, 'image', 'Manage images');
  registrar.add(image, historySpec);
  registrar.add(image, importSpec);
  registrar.add(image, loadSpec);
  registrar.add(image, saveSpec);
  registrar.add(image, tagSpec);
  registrar.add(image, listSpec('ls'));
  registrar.add(image, removeSpec('rm'));
  registrar.add(image, imageInspectSpec);
  registrar.add(image, pruneSpec);
  registrar.add(image, pullSpec);
  registrar.add(image, pushSpec);

  registrar.add(program, listSpec('images'));
  registrar.add(program, removeSpec('rmi'));
  registrar.add(program, tagSpec);
  registrar.add(program, saveSpec);
  registrar.add(program, loadSpec);
  registrar.add(program, importSpec);
  registrar.add(program, historySpec);
}
