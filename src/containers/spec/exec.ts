import { invalidArgument } from '../../core/errors.js';
import { replaceOrAppendEnv } from './env.js';
import type { OciProcess } from './oci.js';
import { resolveUser } from './user.js';

/** An exec request (Docker's ExecConfig). */
export interface ExecRequest {
  cmd: string[];
  env?: string[];
  /** Default: the container's user. */
  user?: string;
  /** Default: the container's working directory. */
  workingDir?: string;
  tty?: boolean;
  /** Every capability the daemon holds, as for a privileged container. */
  privileged?: boolean;
}

/**
 * The process document for `runc exec --process`: dockerd starts from the
 * container's own process (capabilities, rlimits, no-new-privileges,
 * oom_score_adj), then sets the command, the TTY, the environment (the
 * container's plus the request's, TERM=xterm with a TTY), the user
 * (resolved against the container's passwd and group files, with the
 * container's `--group-add`) and the working directory.
 */
export function execProcess(
  container: OciProcess,
  request: ExecRequest,
  context: { passwd: string; group: string; groupAdd?: string[]; boundingCapabilities: string[] },
): OciProcess {
  if (request.cmd.length === 0) throw invalidArgument('No exec command specified');
  const tty = request.tty === true;
  const base = container.env.filter((entry) => tty || !entry.startsWith('TERM='));
  const withTerm = tty && !base.some((entry) => entry.startsWith('TERM=')) ? [...base, 'TERM=xterm'] : base;
  const user =
    request.user !== undefined && request.user !== ''
      ? resolveUser(request.user, context.groupAdd ?? [], context.passwd, context.group)
      : container.user;
  const capabilities = request.privileged
    ? {
        bounding: [...context.boundingCapabilities],
        effective: [...context.boundingCapabilities],
        permitted: [...context.boundingCapabilities],
      }
    : container.capabilities;
  return {
    ...container,
    terminal: tty,
    args: [...request.cmd],
    env: replaceOrAppendEnv(withTerm, request.env ?? []),
    user,
    cwd: request.workingDir || container.cwd,
    ...(capabilities ? { capabilities } : {}),
  };
}
