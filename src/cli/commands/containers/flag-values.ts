/**
 * Flag value parsers of the container commands, checked as pflag and the
 * docker CLI's opts types check them; a failure is an InvalidArgumentError,
 * which flagError words as docker does.
 */
import { InvalidArgumentError } from 'commander';
import { parseRamSize } from '../../../core/units.js';
import { parseGoDuration } from '../../timestamps.js';

/** An int flag (pflag's strconv.ParseInt). */
export const int = (value: string): number => {
  if (!/^-?\d+$/.test(value))
    throw new InvalidArgumentError(`strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
};

/** A byte size ("64m", "1g"; go-units RAMInBytes), or -1 for unlimited. */
export const bytes = (value: string): number => {
  if (value === '-1') return -1;
  try {
    return parseRamSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/** --cpus as billionths of a CPU (docker's NanoCPUs). */
export const nanoCpus = (value: string): number => {
  const cpus = Number(value);
  if (value.trim() === '' || !Number.isFinite(cpus))
    throw new InvalidArgumentError(`failed to parse ${value} as a rational number`);
  return Math.round(cpus * 1e9);
};

/** A Go duration ("30s", "1m30s", "500ms"), in nanoseconds as the API takes it. */
export const durationNs = (value: string): number => {
  const ms = parseGoDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(goDurationError(value));
  return Math.round(ms * 1e6);
};

/** Go's time.ParseDuration error for text it refuses. */
function goDurationError(value: string): string {
  const quoted = JSON.stringify(value);
  if (/^[-+]?(\d+\.?\d*|\.\d+)$/.test(value)) return `time: missing unit in duration ${quoted}`;
  const unit = /^[-+]?(?:\d+\.?\d*|\.\d+)([^\d.]+)/.exec(value)?.[1];
  if (unit && !['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h'].includes(unit))
    return `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`;
  return `time: invalid duration ${quoted}`;
}

/** A repeatable flag whose every value is checked by `parse` (an InvalidArgumentError is docker's flag error). */
export const each =
  <T>(parse: (value: string) => T) =>
  (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
