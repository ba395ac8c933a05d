/**
 * The small display helpers docker's formatters share: relative times
 * (go-units HumanDuration), Go's time layouts, short IDs (stringid) and
 * width-aware ellipsis.
 */
import { humanDuration } from '../core/units.js';
import { charWidth } from './format/width.js';

export { humanDuration };

/** "2 hours ago" for a unix time in seconds, as docker's CreatedSince columns show it. */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** The local offset of a moment: "+01:00"-style parts. */
function localOffset(ms: number): { minutes: number; sign: string; hh: string; mm: string } {
  const minutes = -new Date(ms).getTimezoneOffset();
  return { minutes, sign: minutes < 0 ? '-' : '+', hh: pad(Math.trunc(minutes / 60)), mm: pad(minutes % 60) };
}

/** Wall-clock fields of a moment in the local zone. */
function localParts(ms: number): string[] {
  const shifted = new Date(ms + localOffset(ms).minutes * 60_000);
  return [
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`,
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`,
  ];
}

/**
 * The zone's abbreviation as Go prints it ("UTC", "GMT", "EST"); where Intl
 * knows none, Go's numeric fallback ("+0530").
 */
function zoneName(ms: number): string {
  const offset = localOffset(ms);
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  return part && /^[A-Z]{3,5}$/.test(part) ? part : `${offset.sign}${offset.hh}${offset.mm}`;
}

/** Go's time.Time.String() for a unix time: "2024-05-01 10:00:00 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const ms = unixSeconds * 1000;
  const [date, time] = localParts(ms);
  const offset = localOffset(ms);
  return `${date} ${time} ${offset.sign}${offset.hh}${offset.mm} ${zoneName(ms)}`;
}

/** Go's RFC 3339 layout in local time: "2024-05-01T10:00:00Z" or "…+02:00". */
export function rfc3339Local(unixSeconds: number): string {
  const ms = unixSeconds * 1000;
  const [date, time] = localParts(ms);
  const offset = localOffset(ms);
  return `${date}T${time}${offset.minutes === 0 ? 'Z' : `${offset.sign}${offset.hh}:${offset.mm}`}`;
}

/** docker's stringid.TruncateID: drop an "algo:" prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}

/** docker's formatter.Ellipsis: cut to a display width, ending in "…". */
export function ellipsis(text: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const chars = Array.from(text);
  if (maxWidth === 1) return chars[0] ?? '';
  const widths = chars.map((c) => (charWidth(c) === 2 ? 2 : 1));
  const total = widths.reduce((a, b) => a + b, 0);
  if (total <= maxWidth) return text;
  let used = 0;
  let kept = 0;
  while (kept < chars.length && used + widths[kept]! <= maxWidth - 1) used += widths[kept++]!;
  return `${chars.slice(0, kept).join('')}…`;
}
