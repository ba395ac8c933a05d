import { createInterface } from 'node:readline';
import type { CliContext } from '../context.js';
import { filtersToJson } from '../filters.js';
import { renderGoTemplate } from '../format/render.js';
import { rfc3339NanoFixed, toApiTimestamp } from '../timestamps.js';

interface WireEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** docker's default event line: time, type, action, actor, then sorted attributes. */
export function formatEventLine(event: WireEvent, timeNano: bigint): string {
  let line = timeNano > 0n ? `${rfc3339NanoFixed(timeNano)} ` : '';
  line += `${event.Type} ${event.Action} ${event.Actor.ID}`;
  const attrs = event.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) line += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return line;
}

/** timeNano exceeds 2^53; take it from the raw JSON text rather than the parsed number. */
function exactTimeNano(raw: string, event: WireEvent): bigint {
  const m = /"timeNano":(\d+)/.exec(raw);
  if (m) return BigInt(m[1]!);
  return BigInt(event.time ?? 0) * 1_000_000_000n;
}

export async function eventsCommand(
  ctx: CliContext,
  opts: { since?: string; until?: string; filter?: string[]; format?: string },
): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const res = await ctx.client().request('GET', '/events', {
    query: {
      since: opts.since ? toApiTimestamp(opts.since) : undefined,
      until: opts.until ? toApiTimestamp(opts.until) : undefined,
      filters: filtersToJson(opts.filter),
    },
    signal: controller.signal,
  });
  const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const raw of lines) {
      if (!raw.trim()) continue;
      const event = JSON.parse(raw) as WireEvent;
      if (opts.format) ctx.out(renderGoTemplate(opts.format, event));
      else ctx.out(`${formatEventLine(event, exactTimeNano(raw, event))}\n`);
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return 0;
}
