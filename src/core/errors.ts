/**
 * Error kinds shared by every module, after containerd's errdefs. Domain code
 * raises a kind; only the edges (HTTP servers, the CLI) map kinds to status
 * codes or exit codes. Never branch on an error's message text.
 */
export const ErrorKind = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  InvalidArgument: 'InvalidArgument',
  FailedPrecondition: 'FailedPrecondition',
  Conflict: 'Conflict',
  Unavailable: 'Unavailable',
  NotImplemented: 'NotImplemented',
  PermissionDenied: 'PermissionDenied',
  Unauthenticated: 'Unauthenticated',
  Canceled: 'Canceled',
  NotModified: 'NotModified',
  Internal: 'Internal',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** An expected failure with a kind. Its message is meant for users. */
export class BerthError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthError';
    this.kind = kind;
  }
}

export const notFound = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.NotFound, message, { cause });
export const alreadyExists = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.AlreadyExists, message, { cause });
export const invalidArgument = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.InvalidArgument, message, { cause });
export const failedPrecondition = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.FailedPrecondition, message, { cause });
export const conflict = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.Conflict, message, { cause });
export const unavailable = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.Unavailable, message, { cause });
export const notImplemented = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.NotImplemented, message, { cause });
export const permissionDenied = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.PermissionDenied, message, { cause });
export const unauthenticated = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.Unauthenticated, message, { cause });
export const canceled = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.Canceled, message, { cause });
export const notModified = (message: string) => new BerthError(ErrorKind.NotModified, message);

/** The kind of any thrown value; unknown errors are Internal. */
export function kindOf(err: unknown): ErrorKind {
  if (err instanceof BerthError) return err.kind;
  if (isAbortError(err)) return ErrorKind.Canceled;
  return ErrorKind.Internal;
}

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return kindOf(err) === kind;
}

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR')
  );
}

/** A Node system error code such as ENOENT, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether an error means the disk (or quota) is full: ENOSPC, EDQUOT, or SQLite's SQLITE_FULL. */
export function isDiskFull(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** Adds context while keeping the kind: "failed to X: <cause message>". */
export function wrap(err: unknown, context: string): BerthError {
  const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
  return new BerthError(kindOf(err), message, { cause: err });
}

/**
 * A write error as Go programs word it, naming the file: `write PATH: no space left on
 * device`. Node's own message for a write on a descriptor names no path. Other errors
 * pass through unchanged.
 */
export function fileWriteError(err: unknown, path: string, op = 'write'): unknown {
  if (errnoCode(err) !== 'ENOSPC' && errnoCode(err) !== 'EDQUOT') return err;
  const reason = errnoCode(err) === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded';
  return Object.assign(new BerthError(ErrorKind.Internal, `${op} ${path}: ${reason}`, { cause: err }), {
    code: errnoCode(err),
  });
}
