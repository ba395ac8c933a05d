import { invalidArgument } from '../../core/errors.js';
import type { RetentionPolicy, TagRecord } from './store.js';

/** A tag pattern: `*` matches any run of characters, `?` one; everything else literally. */
export function matchesPattern(pattern: string, tag: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(tag);
}

export const matchesAny = (patterns: readonly string[] | undefined, tag: string) =>
  (patterns ?? []).some((pattern) => matchesPattern(pattern, tag));

/** Validates a list of tag patterns from the API. */
export function checkPatterns(value: unknown, field: string): string[] {
  if (
    !Array.isArray(value) ||
    value.some((p) => typeof p !== 'string' || !/^[A-Za-z0-9_.*?-]{1,128}$/.test(p))
  )
    throw invalidArgument(`${field}: a list of tag patterns (letters, digits, "_", ".", "-", "*" and "?")`);
  return value as string[];
}

/** Validates a retention policy from the API. */
export function checkRetention(value: unknown): RetentionPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument('retention: an object with keepLast, keepDays, keepPulledDays, keepTags, schedule');
  const input = value as Record<string, unknown>;
  const unknown = Object.keys(input).filter(
    (k) => !['keepLast', 'keepDays', 'keepPulledDays', 'keepTags', 'schedule'].includes(k),
  );
  if (unknown.length > 0) throw invalidArgument(`retention.${unknown[0]}: unknown key`);
  const count = (key: string) => {
    const n = input[key];
    if (n === undefined) return undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw invalidArgument(`retention.${key}: a non-negative integer`);
    return n;
  };
  const keepLast = count('keepLast');
  const keepDays = count('keepDays');
  const keepPulledDays = count('keepPulledDays');
  const keepTags =
    input['keepTags'] === undefined ? undefined : checkPatterns(input['keepTags'], 'retention.keepTags');
  const schedule = input['schedule'];
  if (schedule !== undefined && schedule !== 'hourly' && schedule !== 'daily' && schedule !== 'weekly')
    throw invalidArgument('retention.schedule: hourly, daily or weekly');
  return {
    ...(keepLast !== undefined ? { keepLast } : {}),
    ...(keepDays !== undefined ? { keepDays } : {}),
    ...(keepPulledDays !== undefined ? { keepPulledDays } : {}),
    ...(keepTags !== undefined ? { keepTags } : {}),
    ...(schedule !== undefined ? { schedule } : {}),
  };
}

/** One tag's fate in a retention run. */
export interface RetentionDecision extends TagRecord {
  action: 'keep' | 'delete';
  reason: string;
}

/**
 * Which tags a retention policy keeps. Tags are grouped by repository (newest
 * push first, as `tags` come); a tag is kept when any rule keeps it, and
 * immutable tags are always kept. A policy without rules keeps everything.
 */
export function planRetention(
  tags: readonly TagRecord[],
  policy: RetentionPolicy | undefined,
  immutable: readonly string[] | undefined,
  now: number,
): RetentionDecision[] {
  const rules = policy ?? {};
  const active =
    rules.keepLast !== undefined ||
    rules.keepDays !== undefined ||
    rules.keepPulledDays !== undefined ||
    rules.keepTags !== undefined;
  const rank = new Map<string, number>();
  return tags.map((record) => {
    const position = rank.get(record.repository) ?? 0;
    rank.set(record.repository, position + 1);
    const keep = (reason: string): RetentionDecision => ({ ...record, action: 'keep', reason });
    if (!active) return keep('no retention rule');
    if (matchesAny(immutable, record.tag)) return keep('immutable');
    if (rules.keepLast !== undefined && position < rules.keepLast)
      return keep(`among the last ${rules.keepLast}`);
    if (rules.keepDays !== undefined && record.pushedAt >= now - rules.keepDays * 86_400_000)
      return keep(`pushed within ${rules.keepDays} days`);
    if (
      rules.keepPulledDays !== undefined &&
      record.pulledAt !== null &&
      record.pulledAt >= now - rules.keepPulledDays * 86_400_000
    )
      return keep(`pulled within ${rules.keepPulledDays} days`);
    if (matchesAny(rules.keepTags, record.tag)) return keep('matches keepTags');
    return { ...record, action: 'delete', reason: 'no rule keeps it' };
  });
}
