import { spawn } from 'node:child_process';
import { BerthError, ErrorKind } from '../core/errors.js';
import { spawnError } from '../core/exec.js';
import { activeLauncher, LauncherUnavailable } from '../core/launcher.js';

/** Options of {@link runProcess}. */
export interface ProcessOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** How a child process ended and what it printed. */
export interface ProcessOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program (no shell) with optional stdin and extra environment, and
 * resolves with its exit code and output whatever the code: CNI plugins and
 * iptables-restore report errors on stdout or with exit codes that callers
 * interpret themselves. A missing program is Unavailable.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessOutcome> {
  const launcher = activeLauncher();
  if (!launcher) return spawnProcess(file, args, options);
  return launcher
    .run(file, args, {
      input: options.input,
      env: options.env ? { ...process.env, ...options.env } : undefined,
      signal: options.signal,
    })
    .then(
      (outcome) => ({
        code: outcome.code,
        stdout: outcome.stdout.toString(),
        stderr: outcome.stderr.toString(),
      }),
      (err: Error) => {
        if (err instanceof LauncherUnavailable) return spawnProcess(file, args, options);
        throw spawnError(file, err);
      },
    );
}

function spawnProcess(
  file: string,
  args: readonly string[],
  options: ProcessOptions,
): Promise<ProcessOutcome> {
  return new Promise<ProcessOutcome>((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ? { ...process.env, ...options.env } : process.env,
      signal: options.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => reject(spawnError(file, err)));
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
    // A child that exits before reading its stdin raises EPIPE here; its exit code tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like {@link runProcess}, but a non-zero exit is an Internal error carrying stderr. */
export async function runChecked(file: string, args: readonly string[], options: ProcessOptions = {}) {
  const outcome = await runProcess(file, args, options);
  if (outcome.code !== 0) {
    const why = outcome.stderr.trim() || outcome.stdout.trim() || `exit code ${outcome.code}`;
    throw new BerthError(ErrorKind.Internal, `${file} ${args.join(' ')} failed: ${why}`);
  }
  return outcome;
}
