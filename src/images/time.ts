/**
 * Timestamps the way Docker writes and reads them. Image configs carry
 * RFC 3339 times with nanoseconds, which a JavaScript Date cannot hold, so
 * they are handled as text here.
 */
import { invalidArgument } from '../core/errors.js';

/** Go's zero time, which Docker prints for "never". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Parts of an RFC 3339 time: whole seconds since the epoch and the fraction's digits. */
interface ParsedTime {
  seconds: number;
  fraction: string;
}

function parseRfc3339(text: string | undefined): ParsedTime | undefined {
  const match = RFC3339.exec(text ?? '');
  if (!match) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const millis = Date.parse(`${date}T${time}${zone.toUpperCase()}`);
  if (Number.isNaN(millis)) return undefined;
  return { seconds: Math.floor(millis / 1000), fraction };
}

/**
 * Reformats a time as Go's RFC3339Nano in UTC (`2024-01-02T03:04:05.1234Z`,
 * trailing zeros of the fraction dropped), as `docker inspect` shows it. A
 * missing or unreadable time is Go's zero time.
 */
export function formatGoTime(text: string | undefined): string {
  const parsed = parseRfc3339(text);
  if (!parsed) return GO_ZERO_TIME;
  const base = new Date(parsed.seconds * 1000).toISOString().slice(0, 19);
  const fraction = parsed.fraction.replace(/0+$/, '');
  return `${base}${fraction ? `.${fraction}` : ''}Z`;
}

/** Seconds since the epoch (rounded down, as Go's Time.Unix), or Go's zero time in seconds. */
export function unixSeconds(text: string | undefined): number {
  return parseRfc3339(text)?.seconds ?? -62135596800;
}

/** Nanoseconds since the epoch as a bigint, for exact comparisons. */
export function unixNanos(text: string | undefined): bigint {
  const parsed = parseRfc3339(text);
  if (!parsed) return -62135596800n * 1_000_000_000n;
  return BigInt(parsed.seconds) * 1_000_000_000n + BigInt(parsed.fraction.padEnd(9, '0'));
}

/** The current time as Go's RFC3339Nano in UTC. */
export function nowRfc3339Nano(now: () => bigint = wallNanos): string {
  const nanos = now();
  const seconds = nanos / 1_000_000_000n;
  const fraction = String(nanos % 1_000_000_000n).padStart(9, '0');
  return formatGoTime(`${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`);
}

const hrOrigin = process.hrtime.bigint();
const wallOrigin = BigInt(Date.now()) * 1_000_000n;
function wallNanos(): bigint {
  return wallOrigin + (process.hrtime.bigint() - hrOrigin);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Reads a filter timestamp as Docker's `GetTimestamp` does: a Go duration
 * (`24h`, `1h30m`) counts back from now; otherwise an RFC 3339 time or date,
 * or unix seconds with an optional fraction. Returns nanoseconds since the epoch.
 */
export function parseFilterTime(value: string, nowNanos: bigint = wallNanos()): bigint {
  const duration = parseGoDuration(value);
  if (duration !== undefined) return nowNanos - duration;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return unixNanos(`${value}T00:00:00Z`);
  const withZone = /[Zz]|[+-]\d{2}:\d{2}$/.test(value.slice(10)) ? value : `${value}Z`;
  if (RFC3339.test(withZone)) return unixNanos(withZone);
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
}

function parseGoDuration(value: string): bigint | undefined {
  const sign = value.startsWith('-') ? -1 : 1;
  const body = value.replace(/^[-+]/, '');
  if (body === '' || body.replace(DURATION_PART, '') !== '') return undefined;
  let nanos = 0;
  for (const [, amount, unit] of body.matchAll(DURATION_PART)) nanos += Number(amount) * UNIT_NANOS[unit!]!;
  return BigInt(Math.round(sign * nanos));
}
