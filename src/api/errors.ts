import { BerthError, ErrorKind, kindOf } from '../core/errors.js';

const STATUS: Record<ErrorKind, number> = {
  [ErrorKind.NotFound]: 404,
  [ErrorKind.AlreadyExists]: 409,
  [ErrorKind.InvalidArgument]: 400,
  [ErrorKind.FailedPrecondition]: 409,
  [ErrorKind.Conflict]: 409,
  [ErrorKind.Unavailable]: 503,
  [ErrorKind.NotImplemented]: 501,
  [ErrorKind.PermissionDenied]: 403,
  [ErrorKind.Unauthenticated]: 401,
  [ErrorKind.Canceled]: 499,
  [ErrorKind.NotModified]: 304,
  [ErrorKind.Internal]: 500,
};

/** Maps any thrown value to the status code dockerd would answer with. */
export function statusOf(err: unknown): number {
  if (!(err instanceof BerthError)) {
    // HTTP-layer errors (bad JSON, body too large) carry a 4xx statusCode.
    const code = (err as { statusCode?: unknown } | null)?.statusCode;
    if (typeof code === 'number' && code >= 400 && code < 500) return code;
  }
  return STATUS[kindOf(err)];
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
