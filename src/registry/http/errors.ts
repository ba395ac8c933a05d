import { BerthError, ErrorKind, kindOf } from '../../core/errors.js';
import { type OciErrorCode, RegistryError } from '../errors.js';

/** An error as the distribution API sends it. */
export interface HttpError {
  status: number;
  code: OciErrorCode;
  message: string;
  detail?: unknown;
}

// distribution `registry/api/errcode` and `registry/api/v2/errors.go`.
const STATUS: Record<OciErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  UNKNOWN: 500,
};

const BY_KIND: Partial<Record<ErrorKind, { status: number; code: OciErrorCode }>> = {
  [ErrorKind.NotFound]: { status: 404, code: 'UNKNOWN' },
  [ErrorKind.InvalidArgument]: { status: 400, code: 'UNKNOWN' },
  [ErrorKind.Unauthenticated]: { status: 401, code: 'UNAUTHORIZED' },
  [ErrorKind.PermissionDenied]: { status: 403, code: 'DENIED' },
  [ErrorKind.NotImplemented]: { status: 405, code: 'UNSUPPORTED' },
  [ErrorKind.Unavailable]: { status: 503, code: 'UNKNOWN' },
};

/**
 * The one mapping from thrown errors to HTTP: registry errors by their OCI
 * code, other Berth errors by kind, Fastify's own (body too large, bad
 * content type) by their status, anything else 500 UNKNOWN.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof RegistryError) {
    const status = err.tooLarge ? 413 : STATUS[err.code];
    return {
      status,
      code: err.code,
      message: err.message,
      ...(err.detail === undefined ? {} : { detail: err.detail }),
    };
  }
  if (err instanceof BerthError) {
    const mapped = BY_KIND[kindOf(err)] ?? { status: 500, code: 'UNKNOWN' };
    return { ...mapped, message: err.message };
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code: OciErrorCode = status === 413 ? 'SIZE_INVALID' : status === 415 ? 'UNSUPPORTED' : 'UNKNOWN';
    return { status, code, message: (err as Error).message };
  }
  return { status: 500, code: 'UNKNOWN', message: 'internal server error' };
}

/** The spec's error body. */
export function errorBody(error: HttpError): string {
  const entry = { code: error.code, message: error.message, detail: error.detail ?? null };
  return JSON.stringify({ errors: [entry] });
}
