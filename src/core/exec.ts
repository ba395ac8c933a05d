import { spawn } from 'node:child_process';
import { BerthError, ErrorKind, errnoCode } from './errors.js';
import { activeLauncher, LauncherUnavailable } from './launcher.js';

/** Options for {@link runCommand}. */
export interface RunOptions {
  /** Working directory of the child; relative paths in its arguments resolve here. */
  cwd?: string;
  /** Aborting kills the child and rejects with a Canceled error. */
  signal?: AbortSignal;
}

/** What a finished command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a program (no shell) and resolves when it exits 0. A missing program
 * is Unavailable; a non-zero exit is Internal with the program's stderr as the
 * message, so callers can wrap it with their own context.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const launcher = activeLauncher();
  if (!launcher) return spawnCommand(file, args, options);
  return launcher.run(file, args, { cwd: options.cwd, signal: options.signal }).then(
    (outcome) => {
      const result = { stdout: outcome.stdout.toString(), stderr: outcome.stderr.toString() };
      if (outcome.code === 0) return result;
      throw exitError(file, result.stderr, outcome.code, outcome.signal);
    },
    (err: Error) => {
      if (err instanceof LauncherUnavailable) return spawnCommand(file, args, options);
      throw spawnError(file, err);
    },
  );
}

function spawnCommand(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      signal: options.signal,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => reject(spawnError(file, err)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (code === 0) return resolve(result);
      reject(exitError(file, result.stderr, code, signal));
    });
  });
}

function exitError(file: string, stderr: string, code: number | null, signal: string | null): BerthError {
  const why = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
  return new BerthError(ErrorKind.Internal, `${file} failed: ${why}`);
}

/** The error of a program that could not run (Node's spawn errors and the launcher's alike). */
export function spawnError(file: string, err: Error): BerthError {
  if (errnoCode(err) === 'ENOENT') {
    return new BerthError(ErrorKind.Unavailable, `${file} is not installed`, { cause: err });
  }
  if (err.name === 'AbortError')
    return new BerthError(ErrorKind.Canceled, `${file} was canceled`, { cause: err });
  return new BerthError(ErrorKind.Internal, `${file} could not start: ${err.message}`, { cause: err });
}
