import { createInterface } from 'node:readline';
import { BerthError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { StatusError } from '../errors.js';
import { filtersToJson } from '../filters.js';
import { GO_MARSHAL_JSON } from '../format/docker-functions.js';
import { goHtmlEscape } from '../format/row.js';
import { parseTemplate } from '../format/template.js';
import { GO_TYPE } from '../format/values.js';
import { rfc3339NanoFixed, toApiTimestamp } from '../timestamps.js';

interface WireEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/**
 * The event as docker's events.Message: Go field names for templates
 * (.Status, .ID, .From, .Type, .Action, .Actor, .Scope, .Time, .TimeNano, an
 * exact int64), and `{{json .}}` as encoding/json writes the struct: its tags
 * and field order, empty ones left out, attributes sorted.
 */
function messageOf(event: WireEvent, timeNano: bigint): Record<string, unknown> {
  const attributes = Object.fromEntries(
    Object.entries(event.Actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const actor = { ID: event.Actor.ID, Attributes: attributes };
  const message: Record<string | symbol, unknown> = {
    Status: event.status ?? '',
    ID: event.id ?? '',
    From: event.from ?? '',
    Type: event.Type,
    Action: event.Action,
    Actor: actor,
    Scope: event.scope ?? '',
    Time: event.time ?? 0,
    TimeNano: timeNano,
  };
  const tagged = {
    ...(event.status ? { status: event.status } : {}),
    ...(event.id ? { id: event.id } : {}),
    ...(event.from ? { from: event.from } : {}),
    Type: event.Type,
    Action: event.Action,
    Actor: actor,
    ...(event.scope ? { scope: event.scope } : {}),
    ...(event.time ? { time: event.time } : {}),
  };
  const json = goHtmlEscape(JSON.stringify(tagged));
  const withNano = timeNano > 0n ? `${json.slice(0, -1)},"timeNano":${timeNano}}` : json;
  Object.defineProperty(message, GO_MARSHAL_JSON, { value: () => withNano, enumerable: false });
  Object.defineProperty(message, GO_TYPE, { value: '*events.Message', enumerable: false });
  return message;
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

/** docker's words and exit code for a bad events template, parsing or executing. */
function templateError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    throw new StatusError(`Error parsing format: ${err.message}`, 64);
  }
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
  const template = opts.format
    ? templateError(() => parseTemplate(opts.format === 'json' ? '{{json .}}' : opts.format!))
    : undefined;
  const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const raw of lines) {
      if (!raw.trim()) continue;
      const event = JSON.parse(raw) as WireEvent;
      const timeNano = exactTimeNano(raw, event);
      if (template) ctx.out(`${templateError(() => template.execute(messageOf(event, timeNano)))}\n`);
      else ctx.out(`${formatEventLine(event, timeNano)}\n`);
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return 0;
}
