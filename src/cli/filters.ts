/**
 * `--filter key=value` flags as docker's opts.FilterOpt reads them, and the
 * Engine API's filters JSON (map form: {"key":{"value":true}}).
 */
import { InvalidArgumentError } from 'commander';

/** Filter values by key. */
export type FilterArgs = Map<string, Set<string>>;

const BAD_FORMAT = 'bad format of filter (expected name=value)';

/** Checks one flag value as it is given, so a bad filter is a usage error. */
export function validateFilterFlag(value: string, previous: string[] | undefined): string[] {
  if (value !== '' && !value.includes('=')) throw new InvalidArgumentError(BAD_FORMAT);
  return [...(previous ?? []), value];
}

/** Parses filter flags: the key is trimmed and lower-cased, the value trimmed. */
export function parseFilters(flags: readonly string[] | undefined): FilterArgs {
  const args: FilterArgs = new Map();
  for (const flag of flags ?? []) {
    if (flag === '') continue;
    const eq = flag.indexOf('=');
    if (eq < 0) throw new Error(BAD_FORMAT);
    addFilter(args, flag.slice(0, eq).trim().toLowerCase(), flag.slice(eq + 1).trim());
  }
  return args;
}

/** Adds a value under a key. */
export function addFilter(args: FilterArgs, key: string, value: string): void {
  const values = args.get(key) ?? new Set<string>();
  values.add(value);
  args.set(key, values);
}

/** The filters query parameter, or undefined when there are none. */
export function filtersJson(args: FilterArgs): string | undefined {
  if (args.size === 0) return undefined;
  const map: Record<string, Record<string, boolean>> = {};
  for (const [key, values] of [...args].sort(([a], [b]) => (a < b ? -1 : 1))) {
    map[key] = Object.fromEntries([...values].sort().map((v) => [v, true]));
  }
  return JSON.stringify(map);
}

/** Turns repeated `--filter key=value` flags into the Engine API's filters JSON. */
export function filtersToJson(flags: readonly string[] | undefined): string | undefined {
  return filtersJson(parseFilters(flags));
}
