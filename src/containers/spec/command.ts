import { invalidArgument } from '../../core/errors.js';
import type { ContainerRequest, ImageRunConfig } from './request.js';

/** Where the init binary is bind-mounted inside a container, as dockerd does (`--init`). */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

/** The program and its arguments a container runs: Docker's `Path` and `Args`. */
export interface ContainerCommand {
  path: string;
  args: string[];
}

/**
 * Merges the request's entrypoint and cmd with the image's, exactly as
 * dockerd does (daemon `merge` + `mergeAndVerifyConfig` +
 * `getEntrypointAndArgs`):
 *
 * - a request without an entrypoint inherits the image's cmd when it has no
 *   cmd of its own, and the image's entrypoint only when it gave none at
 *   all (`undefined`; an empty list counts as given);
 * - an entrypoint of exactly `[""]` (`--entrypoint ""`) then means none;
 * - a request entrypoint drops the image's cmd;
 * - with neither left, creation fails with "no command specified".
 */
export function resolveCommand(
  request: Pick<ContainerRequest, 'entrypoint' | 'cmd'>,
  image: ImageRunConfig,
): ContainerCommand {
  let entrypoint = request.entrypoint;
  let cmd = request.cmd ?? [];
  if (entrypoint === undefined || entrypoint.length === 0) {
    if (cmd.length === 0) cmd = image.cmd ?? [];
    if (entrypoint === undefined) entrypoint = image.entrypoint ?? [];
  }
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  const argv = [...entrypoint, ...cmd];
  const [path, ...args] = argv;
  if (path === undefined) throw invalidArgument('no command specified');
  return { path, args };
}

/** The process arguments: the command, behind the init binary when `init` is on. */
export function processArgs(command: ContainerCommand, init: boolean): string[] {
  const argv = [command.path, ...command.args];
  // docker-init (tini) forwards signals and reaps zombies; `--` ends its own options.
  return init ? [CONTAINER_INIT_PATH, '--', ...argv] : argv;
}
