/**
 * How the CLI words failures and which exit code each gets, after docker's
 * cli.StatusError: an error carries its exit code, and main prints its text.
 */
import { ApiError } from './client.js';

/** A failure with the exit code docker gives it. An empty message prints nothing. */
export class StatusError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

/** An answered prompt that said no: docker prints nothing and exits 0. */
export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

/** The text docker prints for an error: daemon errors carry "Error response from daemon: ". */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The exit code for an error that reached main: 1 unless the error says otherwise. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof StatusError) return err.exitCode;
  if (err instanceof CancelledError) return 0;
  return 1;
}

/** Whether the daemon said the object does not exist (docker's errdefs.IsNotFound). */
export function isNotFound(err: unknown): boolean {
  return (err instanceof ApiError && err.status === 404) || err instanceof NotFoundError;
}

/** Whether main should print nothing for this error. */
export function isSilent(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof StatusError && err.message === '');
}

/** A client-side "no such object", which inspect treats like the daemon's 404. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * Node's file errors in Go's words, as docker prints them:
 * "ENOENT: no such file or directory, open '/x'" → "open /x: no such file or directory".
 */
export function goFsError(err: unknown): Error {
  const m = err instanceof Error ? /^E[A-Z]+: (.*?), (\w+) '(.*)'$/.exec(err.message) : null;
  if (!m) return err instanceof Error ? err : new Error(String(err));
  return new Error(`${m[2]} ${m[3]}: ${m[1]}`, { cause: err });
}
