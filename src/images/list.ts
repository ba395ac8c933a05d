/**
 * `docker images`: which images show, with which names, after dockerd's
 * filters (dangling, label, before, since, until, reference).
 */
import { invalidArgument } from '../core/errors.js';
import type { ImageCatalog, ImageEntry } from './catalog.js';
import { compareStrings, parseRecordName } from './names.js';
import type { ImageRecords } from './records.js';
import { familiarName, familiarString, type Reference } from './reference.js';
import { parseFilterTime, unixNanos } from './time.js';

/** Filter keys `GET /images/json` accepts. */
export const IMAGE_LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'until', 'reference'] as const;

/** What to list. */
export interface ListOptions {
  /** Also intermediate images (untagged images that are some image's parent). */
  all?: boolean;
  filters?: Record<string, string[]>;
}

/** An image that passed the filters, with the names that passed the reference filter. */
export interface ListedImage {
  entry: ImageEntry;
  tags: Reference[];
  digests: Reference[];
}

/** Lists images newest first, applying dockerd's rules. */
export async function listImages(
  catalog: ImageCatalog,
  records: ImageRecords,
  options: ListOptions = {},
): Promise<ListedImage[]> {
  const filters = options.filters ?? {};
  const dangling = parseBoolFilter(filters, 'dangling');
  const before = await boundary(catalog, filters['before']);
  const since = await boundary(catalog, filters['since']);
  const until = filters['until']?.map((value) => parseFilterTime(value));
  const patterns = filters['reference']?.map(globToRegExp);
  const listed: ListedImage[] = [];
  for (const entry of await catalog.list()) {
    const created = unixNanos(entry.config.created);
    if (before !== undefined && created >= before) continue;
    if (since !== undefined && created <= since) continue;
    if (until?.some((limit) => created > limit)) continue;
    if (!matchesLabelFilters(entry.config.config?.Labels ?? undefined, filters['label'])) continue;
    const names = referencesOf(entry, patterns);
    if (names.tags.length === 0 && names.digests.length === 0) {
      const intermediate = records.childrenOf(entry.id).length > 0;
      if (dangling === false || patterns || (intermediate && !options.all)) continue;
    } else if (dangling === true && names.tags.length > 0) continue;
    listed.push({ entry, ...names });
  }
  return listed.sort(
    (a, b) =>
      compareBigInt(unixNanos(b.entry.config.created), unixNanos(a.entry.config.created)) ||
      (a.entry.id < b.entry.id ? -1 : 1),
  );
}

function referencesOf(entry: ImageEntry, patterns: RegExp[] | undefined) {
  const keep = (ref: Reference) =>
    !patterns || patterns.some((re) => re.test(familiarString(ref)) || re.test(familiarName(ref)));
  const tags: Reference[] = [];
  const digests: Reference[] = [];
  // Docker lists an image's references in the order of their full names.
  for (const record of [...entry.records].sort((a, b) => compareStrings(a.name, b.name))) {
    const parsed = parseRecordName(record.name);
    if (parsed.kind === 'tag' && keep(parsed.ref)) tags.push(parsed.ref);
    if (parsed.kind === 'digest' && keep(parsed.ref)) digests.push(parsed.ref);
  }
  return { tags, digests };
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The creation time of the image named by a `before`/`since` filter. */
async function boundary(catalog: ImageCatalog, values: string[] | undefined): Promise<bigint | undefined> {
  let result: bigint | undefined;
  for (const value of values ?? []) result = unixNanos((await catalog.resolve(value)).config.created);
  return result;
}

/** A boolean filter such as `dangling`: true, false, or absent. Other values are refused as dockerd does. */
export function parseBoolFilter(filters: Record<string, string[]>, key: string): boolean | undefined {
  const values = filters[key];
  if (!values || values.length === 0) return undefined;
  const truthy = values.every((value) => value === 'true' || value === '1');
  const falsy = values.every((value) => value === 'false' || value === '0');
  if (!truthy && !falsy) throw invalidArgument(`invalid filter '${key}=[${values.join(' ')}]'`);
  return truthy;
}

/**
 * Docker's label filters: `key` needs the label, `key=value` needs that
 * value, `key!=value` needs another value or none; all must hold.
 */
export function matchesLabelFilters(
  labels: Record<string, string> | undefined,
  wanted: string[] | undefined,
) {
  return (wanted ?? []).every((filter) => {
    const negated = /^([^=!]+)!=(.*)$/.exec(filter);
    if (negated) return labels?.[negated[1]!] !== negated[2];
    const eq = filter.indexOf('=');
    if (eq < 0) return labels !== undefined && Object.hasOwn(labels, filter);
    return labels?.[filter.slice(0, eq)] === filter.slice(eq + 1);
  });
}

/** Go's path.Match as a regular expression: `*` and `?` stop at `/`, `[...]` classes, `\` escapes. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument('syntax error in pattern');
      const body = pattern.slice(i + 1, end);
      source += `[${body.startsWith('^') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
