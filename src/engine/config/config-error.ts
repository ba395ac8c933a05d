/**
 * How configuration problems are reported: validators throw a
 * ConfigValueError naming the directive; the loader turns it into an
 * InvalidArgument BerthError that also names where the value came from.
 */
import { type BerthError, invalidArgument } from '../../core/errors.js';

/** A bad value for a daemon.json directive; `key` may be nested ("log-opts.max-size"). */
export class ConfigValueError extends Error {
  readonly key: string;
  readonly reason: string;
  /** The top-level directive to blame when it differs from the first segment of `key`. */
  readonly blame: string | undefined;

  constructor(key: string, reason: string, blame?: string) {
    super(`${key}: ${reason}`);
    this.name = 'ConfigValueError';
    this.key = key;
    this.reason = reason;
    this.blame = blame;
  }

  /** The top-level daemon.json key this error is about. */
  get directive(): string {
    return this.blame ?? topLevelKey(this.key);
  }
}

export function topLevelKey(key: string): string {
  return key.split(/[.[]/, 1)[0] ?? key;
}

/** Where a value was read from, for error messages. */
export type ValueOrigin =
  | { kind: 'file'; path: string }
  | { kind: 'flag'; flag: string }
  | { kind: 'default' };

export function fileError(path: string, detail: string, cause?: unknown): BerthError {
  return invalidArgument(`unable to configure the daemon with file ${path}: ${detail}`, cause);
}

/** Wraps a validator's error with the file or flag the bad value came from. */
export function describeAt(origin: ValueOrigin, err: ConfigValueError): BerthError {
  switch (origin.kind) {
    case 'file':
      return fileError(origin.path, err.message, err);
    case 'flag':
      return invalidArgument(`invalid value for flag --${origin.flag}: ${err.message}`, err);
    default:
      return invalidArgument(`invalid daemon configuration: ${err.message}`, err);
  }
}

/** Runs `fn`, converting a ConfigValueError into a BerthError for `origin`. */
export function withOrigin<T>(origin: (err: ConfigValueError) => ValueOrigin, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigValueError) throw describeAt(origin(err), err);
    throw err;
  }
}

/** A value printed like Go's "%v" of a decoded JSON value: [a b], map[k:v], 3, true. */
export function goFormat(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goFormat(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** A short description of a JSON value's type for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}
