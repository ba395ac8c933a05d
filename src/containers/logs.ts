import { notImplemented } from '../core/errors.js';
import { CAUGHT_UP, type LogRecord, readLogEntries, SKIPPED } from '../runtime/logs/k8s-file.js';
import type { LogConfig } from './log-config.js';
import type { ContainerRecord } from './record.js';

/** `docker logs` options as the API takes them (since/until in nanoseconds since the epoch). */
export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  details: boolean;
  /** Keep the last N messages; undefined for all. */
  tail?: number;
  since?: bigint;
  until?: bigint;
  signal?: AbortSignal;
  /** Settles when the container stops: a follow then ends. */
  stopped?: Promise<unknown>;
}

/** One message for the client: its stream and the bytes to send. */
export interface LogChunk {
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

interface Message {
  stream: 'stdout' | 'stderr';
  timeNano: bigint;
  line: Buffer;
}

/**
 * Reads a container's output for `docker logs`: messages (a line, or the
 * pieces conmon split it into, joined) filtered by stream and time, the
 * last `tail` of them, then new ones while following. Timestamps are
 * dockerd's (RFC 3339, UTC, nine fraction digits); details prefix the
 * log attributes (log-opt labels / env).
 */
export async function* containerLogs(
  record: ContainerRecord,
  options: LogsOptions,
): AsyncGenerator<LogChunk> {
  const logConfig = (record.HostConfig as { LogConfig?: LogConfig }).LogConfig;
  if (logConfig?.Type === 'none') throw notImplemented('configured logging driver does not support reading');
  const details = options.details ? attributesOf(record, logConfig) : undefined;
  const render = (m: Message): LogChunk => {
    let payload = m.line;
    if (details !== undefined) payload = Buffer.concat([Buffer.from(`${details} `), payload]);
    if (options.timestamps)
      payload = Buffer.concat([Buffer.from(`${formatTimestamp(m.timeNano)} `), payload]);
    return { stream: m.stream, payload };
  };
  const wanted = (m: Message) =>
    ((m.stream === 'stdout' && options.stdout) || (m.stream === 'stderr' && options.stderr)) &&
    (options.since === undefined || m.timeNano >= options.since);
  const pastUntil = (m: Message) => options.until !== undefined && m.timeNano > options.until;

  // One pass over the files: what was written before the read (all of it, or its last `tail`
  // messages), then, following, what comes — across rotations, without reading anything twice.
  const entries = readLogEntries(record.LogPath, {
    follow: options.follow,
    ...(options.follow && options.stopped ? { until: options.stopped } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let backlog: Message[] | undefined = [];
  for await (const m of messages(entries)) {
    if (m === CAUGHT_UP) {
      for (const b of backlog ?? []) yield render(b);
      backlog = undefined;
      continue;
    }
    if (pastUntil(m)) break;
    if (!wanted(m)) continue;
    if (!backlog) yield render(m);
    else {
      backlog.push(m);
      if (options.tail !== undefined && backlog.length > options.tail) backlog.shift();
    }
  }
  for (const b of backlog ?? []) yield render(b);
}

/**
 * Joins partial records into messages, per stream; a line still open at
 * CAUGHT_UP, or where deleted output was skipped, is sent as it is.
 */
async function* messages(
  entries: AsyncIterable<LogRecord | typeof CAUGHT_UP | typeof SKIPPED>,
): AsyncGenerator<Message | typeof CAUGHT_UP> {
  const pending: Partial<Record<'stdout' | 'stderr', { timeNano: bigint; parts: Buffer[] }>> = {};
  function* flush(): Generator<Message> {
    for (const stream of ['stdout', 'stderr'] as const) {
      const open = pending[stream];
      delete pending[stream];
      if (open) yield { stream, timeNano: open.timeNano, line: Buffer.concat(open.parts) };
    }
  }
  for await (const r of entries) {
    if (r === CAUGHT_UP) {
      yield* flush();
      yield CAUGHT_UP;
      continue;
    }
    if (r === SKIPPED) {
      yield* flush();
      continue;
    }
    const open = pending[r.stream];
    if (r.partial) {
      if (open) open.parts.push(r.content);
      else pending[r.stream] = { timeNano: r.timeNano, parts: [r.content] };
      continue;
    }
    if (open) {
      delete pending[r.stream];
      yield { stream: r.stream, timeNano: open.timeNano, line: Buffer.concat([...open.parts, r.content]) };
    } else yield { stream: r.stream, timeNano: r.timeNano, line: r.content };
  }
  yield* flush();
}

/** dockerd's RFC3339NanoFixed in UTC: 2026-11-29T06:13:42.861245423Z. */
export function formatTimestamp(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const fraction = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

/**
 * The log attributes `--details` shows: the labels and environment
 * variables named by the labels / env (and -regex) log options, sorted,
 * as key=value pairs joined by commas, query-escaped like Go's url.QueryEscape.
 */
function attributesOf(record: ContainerRecord, config: LogConfig | undefined): string {
  const opts = config?.Config ?? {};
  const attrs: Record<string, string> = {};
  const labels = record.Labels ?? {};
  const names = (text: string | undefined) => (text ? text.split(',').filter(Boolean) : []);
  for (const key of names(opts.labels)) if (key in labels) attrs[key] = labels[key]!;
  if (opts['labels-regex']) {
    const re = new RegExp(opts['labels-regex']);
    for (const [k, v] of Object.entries(labels)) if (re.test(k)) attrs[k] = v;
  }
  const env = new Map(
    ((record.Config.Env as string[] | undefined) ?? []).map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
    }),
  );
  for (const key of names(opts.env)) if (env.has(key)) attrs[key] = env.get(key)!;
  if (opts['env-regex']) {
    const re = new RegExp(opts['env-regex']);
    for (const [k, v] of env) if (re.test(k)) attrs[k] = v;
  }
  const queryEscape = (s: string) =>
    encodeURIComponent(s)
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(attrs)
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(attrs[k]!)}`)
    .join(',');
}
