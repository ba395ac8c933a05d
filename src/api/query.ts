import { invalidArgument } from '../core/errors.js';

/** dockerd's boolean query rule: "", 0, no, false and none are false; anything else is true. */
export function queryBool(value: unknown, fallback = false): boolean {
  if (value === undefined) return fallback;
  const text = (Array.isArray(value) ? value[value.length - 1] : value) as string;
  return !['', '0', 'no', 'false', 'none'].includes(String(text).trim().toLowerCase());
}

export function queryString(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return String(Array.isArray(value) ? value[value.length - 1] : value);
}

/**
 * Parses the `filters` query parameter in both forms clients send: the map
 * form `{"label":{"a=b":true}}` (Docker CLI) and the legacy list form `{"label":["a=b"]}`.
 */
export function parseFilters(raw: unknown, allowed?: readonly string[]): Record<string, string[]> {
  const text = queryString(raw);
  if (text === undefined || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument(`invalid filter: ${text}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidArgument(`invalid filter: ${text}`);
  }
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (allowed && !allowed.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (value && typeof value === 'object')
      out[key] = Object.keys(value).filter((k) => value[k] !== false);
    else throw invalidArgument(`invalid filter '${key}'`);
  }
  return out;
}

/** Parses a unix time with optional fraction ("1700000000.123456789") to nanoseconds. */
export function parseUnixNanos(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value.trim());
  if (!m) throw invalidArgument(`invalid value for ${name}: ${value}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(m[1]!) * 1_000_000_000n + BigInt(frac || '0');
}
