import { BerthError, ErrorKind } from '../core/errors.js';

/**
 * The error codes of the OCI Distribution Specification v1.1 ("Error Codes")
 * and the Docker Registry HTTP API v2 that clients act on. Domain code raises
 * one of these; the HTTP edge (`http/errors.ts`) maps it to a status once.
 */
export const OciErrorCode = {
  BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  BLOB_UPLOAD_INVALID: 'BLOB_UPLOAD_INVALID',
  BLOB_UPLOAD_UNKNOWN: 'BLOB_UPLOAD_UNKNOWN',
  DIGEST_INVALID: 'DIGEST_INVALID',
  MANIFEST_BLOB_UNKNOWN: 'MANIFEST_BLOB_UNKNOWN',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  MANIFEST_UNKNOWN: 'MANIFEST_UNKNOWN',
  NAME_INVALID: 'NAME_INVALID',
  NAME_UNKNOWN: 'NAME_UNKNOWN',
  SIZE_INVALID: 'SIZE_INVALID',
  TAG_INVALID: 'TAG_INVALID',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'DENIED',
  UNSUPPORTED: 'UNSUPPORTED',
  TOOMANYREQUESTS: 'TOOMANYREQUESTS',
  RANGE_INVALID: 'RANGE_INVALID',
  PAGINATION_NUMBER_INVALID: 'PAGINATION_NUMBER_INVALID',
  UNKNOWN: 'UNKNOWN',
} as const;
export type OciErrorCode = (typeof OciErrorCode)[keyof typeof OciErrorCode];

interface CodeInfo {
  kind: ErrorKind;
  message: string;
}

// Messages are the spec's (and distribution's) so clients print what they expect.
const CODES: Record<OciErrorCode, CodeInfo> = {
  BLOB_UNKNOWN: { kind: ErrorKind.NotFound, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { kind: ErrorKind.InvalidArgument, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { kind: ErrorKind.NotFound, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: {
    kind: ErrorKind.InvalidArgument,
    message: 'provided digest did not match uploaded content',
  },
  MANIFEST_BLOB_UNKNOWN: {
    kind: ErrorKind.FailedPrecondition,
    message: 'manifest references a manifest or blob unknown to registry',
  },
  MANIFEST_INVALID: { kind: ErrorKind.InvalidArgument, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { kind: ErrorKind.NotFound, message: 'manifest unknown' },
  NAME_INVALID: { kind: ErrorKind.InvalidArgument, message: 'invalid repository name' },
  NAME_UNKNOWN: { kind: ErrorKind.NotFound, message: 'repository name not known to registry' },
  SIZE_INVALID: { kind: ErrorKind.InvalidArgument, message: 'provided length did not match content length' },
  TAG_INVALID: { kind: ErrorKind.InvalidArgument, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { kind: ErrorKind.Unauthenticated, message: 'authentication required' },
  DENIED: { kind: ErrorKind.PermissionDenied, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { kind: ErrorKind.NotImplemented, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { kind: ErrorKind.Unavailable, message: 'too many requests' },
  RANGE_INVALID: { kind: ErrorKind.InvalidArgument, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: {
    kind: ErrorKind.InvalidArgument,
    message: 'invalid number of results requested',
  },
  UNKNOWN: { kind: ErrorKind.Internal, message: 'unknown error' },
};

/** Options for {@link registryError}. */
export interface RegistryErrorOptions {
  /** Replaces the code's standard message. */
  message?: string;
  /** The spec's free-form `detail`, e.g. the unknown digest. */
  detail?: unknown;
  cause?: unknown;
  /** Set when the request body was larger than the registry accepts (HTTP 413). */
  tooLarge?: boolean;
}

/** An expected registry failure: a core error kind plus the OCI code clients see. */
export class RegistryError extends BerthError {
  readonly code: OciErrorCode;
  readonly detail: unknown;
  readonly tooLarge: boolean;

  constructor(code: OciErrorCode, options: RegistryErrorOptions = {}) {
    super(CODES[code].kind, options.message ?? CODES[code].message, { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.detail = options.detail;
    this.tooLarge = options.tooLarge ?? false;
  }
}

/** Creates an error with the spec's code, standard message and optional detail. */
export function registryError(code: OciErrorCode, options?: RegistryErrorOptions): RegistryError {
  return new RegistryError(code, options);
}

/** Whether `err` is a registry error with the given code. */
export function hasCode(err: unknown, code: OciErrorCode): boolean {
  return err instanceof RegistryError && err.code === code;
}
