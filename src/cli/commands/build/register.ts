/** `berth build` and `berth commit` (with their `image build` / `container commit` forms). */
import type { Command } from 'commander';
import type { Registrar } from '../../command-spec.js';
import { buildSpec } from './build.js';
import { commitSpec } from './commit.js';

export function registerBuildCommands(program: Command, registrar: Registrar): void {
  registrar.add(program, buildSpec);
  registrar.add(program, commitSpec);
  // Registered after the image and container families, whose groups take the long forms.
  const group = (name: string) => program.commands.find((c) => c.name() === name);
  const image = group('image');
  const container = group('container');
  if (image) registrar.add(image, buildSpec);
  if (container) registrar.add(container, commitSpec);
}
