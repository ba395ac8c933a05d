/**
 * docker's GetTimestamp: a duration ("10m", "1h30m") counts back from now;
 * an RFC 3339 date or date-time, or a unix timestamp with optional fraction,
 * is absolute. Returns "seconds.nanoseconds" as the Engine API takes it.
 */
export function toApiTimestamp(value: string, now = Date.now()): string {
  // docker's GetTimestamp: a duration ("0" is not one) is now minus it, in whole seconds.
  const duration = value === '0' ? undefined : parseGoDuration(value);
  if (duration !== undefined) return String(Math.floor((now - duration) / 1000));
  if (/^\d+(\.\d{1,9})?$/.test(value)) {
    const [sec, frac = ''] = value.split('.');
    return `${sec}.${frac.padEnd(9, '0')}`;
  }
  const withZone = /[zZ]|[+-]\d\d:\d\d$/.test(value) || !value.includes('T') ? value : `${value}Z`;
  const ms = Date.parse(/^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : withZone);
  if (Number.isNaN(ms)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return formatSeconds(ms);
}

function formatSeconds(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const nanos = (ms - sec * 1000) * 1_000_000;
  return `${sec}.${String(nanos).padStart(9, '0')}`;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds; undefined when it is not a duration. */
export function parseGoDuration(value: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(value);
  if (!m) return value === '0' ? 0 : undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/** Go's RFC3339NanoFixed in local time: 2006-01-02T15:04:05.000000000Z07:00 */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  const nanos = String(timeNano % 1_000_000_000n).padStart(9, '0');
  if (offsetMin === 0) return `${base}.${nanos}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${base}.${nanos}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
