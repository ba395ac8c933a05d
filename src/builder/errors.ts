import { BerthError, ErrorKind } from '../core/errors.js';

/**
 * A build failure tied to a Dockerfile line: its message names the line, as
 * `dockerfile parse error line 3: unknown instruction: FOO`.
 */
export class BuilderError extends BerthError {
  constructor(
    readonly reason: string,
    readonly line: number | undefined,
    options: { parse?: boolean; kind?: ErrorKind; code?: number } = {},
  ) {
    super(options.kind ?? ErrorKind.InvalidArgument, messageFor(reason, line, options.parse ?? true));
    this.code = options.code;
  }

  /** The exit code of a failed RUN, for errorDetail.code. */
  readonly code: number | undefined;
}

function messageFor(reason: string, line: number | undefined, parse: boolean): string {
  if (line === undefined) return reason;
  return parse ? `dockerfile parse error line ${line}: ${reason}` : `Dockerfile line ${line}: ${reason}`;
}

/** An error raised while a step runs, naming the step's line. */
export function stepError(reason: string, line: number, kind?: ErrorKind, code?: number): BuilderError {
  return new BuilderError(reason, line, {
    parse: false,
    ...(kind ? { kind } : {}),
    ...(code !== undefined ? { code } : {}),
  });
}
