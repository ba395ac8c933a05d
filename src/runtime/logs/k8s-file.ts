import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../core/errors.js';
import { rotatedLogPaths } from './rotation.js';

/**
 * conmon's `k8s-file` log format (the CRI log format), one record per line:
 *
 *     2026-11-29T06:13:42.861245423+00:00 stdout F hello
 *     <timestamp>                         <stream> <tag> <content>
 *
 * - timestamp: RFC 3339 with nine fraction digits and the host's UTC offset,
 *   taken when conmon read the bytes (one read may yield several lines);
 * - stream: stdout or stderr (a TTY's output is all stdout);
 * - tag: F for a full line, whose content is the line including its newline;
 *   P for a partial one (output without a newline yet, or a line longer
 *   than conmon's 8 KiB read buffer), whose content has no newline of its own:
 *   conmon ends the record with one that is not part of the output.
 *
 * Concatenating the contents of a stream's records gives back its exact
 * bytes. The files are rotated by whoever writes them (rotation.ts).
 */
export interface LogRecord {
  /** The timestamp as written. */
  timestamp: string;
  /** The same instant in nanoseconds since the Unix epoch. */
  timeNano: bigint;
  stream: 'stdout' | 'stderr';
  /** A piece of a line; the line goes on in the next record of the stream. */
  partial: boolean;
  /** The output bytes: with the trailing newline for a full line. */
  content: Buffer;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;

/** Nanoseconds since the epoch of an RFC 3339 timestamp with up to nine fraction digits. */
export function parseTimestamp(timestamp: string): bigint {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) throw new Error(`bad log timestamp: ${timestamp}`);
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  if (Number.isNaN(seconds)) throw new Error(`bad log timestamp: ${timestamp}`);
  return BigInt(seconds) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** Parses one line (without its final newline); undefined for a malformed one. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const first = line.indexOf(SPACE);
  const second = line.indexOf(SPACE, first + 1);
  const third = line.indexOf(SPACE, second + 1);
  if (first < 0 || second < 0 || (third < 0 && line.length !== second + 2)) return undefined;
  const timestamp = line.subarray(0, first).toString();
  const stream = line.subarray(first + 1, second).toString();
  const tag = line.subarray(second + 1, third < 0 ? line.length : third).toString();
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  let timeNano: bigint;
  try {
    timeNano = parseTimestamp(timestamp);
  } catch {
    return undefined;
  }
  const body = third < 0 ? Buffer.alloc(0) : line.subarray(third + 1);
  const partial = tag === 'P';
  return {
    timestamp,
    timeNano,
    stream,
    partial,
    content: partial ? body : Buffer.concat([body, Buffer.from('\n')]),
  };
}

/** Options for {@link readLog}. */
export interface ReadLogOptions {
  /** Keep reading new records as they are written (`docker logs -f`). */
  follow?: boolean;
  /** With `follow`: once this settles (the container exited), read what is left and stop. */
  until?: Promise<unknown>;
  signal?: AbortSignal;
  /** How often to look for new output while following; default 100 ms. */
  pollMs?: number;
}

/** Marks, in {@link readLogEntries}, the end of what was written before the read began. */
export const CAUGHT_UP = Symbol('caught up');

/**
 * Marks, in {@link readLogEntries}, where output deleted before the reader got
 * to it (max-file) may lie between two records: a partial line before it does
 * not go on after it.
 */
export const SKIPPED = Symbol('skipped');

/**
 * Reads a container's k8s-file log from its oldest record: the rotated files
 * (`<path>.N` … `<path>.1`, see rotation.ts) then the current one. While
 * following, a current file that was rotated away (renamed by the keeper, or
 * replaced by conmon's log-size-max) is read to its end, then the rotated
 * files written after it, then the new current file from its start: nothing
 * twice, nothing skipped that still exists. A missing file reads as empty.
 */
export async function* readLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogRecord> {
  for await (const entry of readLogEntries(path, options))
    if (entry !== CAUGHT_UP && entry !== SKIPPED) yield entry;
}

/** {@link readLog} with {@link CAUGHT_UP} between the records there were and those that came. */
export async function* readLogEntries(
  path: string,
  options: ReadLogOptions = {},
): AsyncGenerator<LogRecord | typeof CAUGHT_UP | typeof SKIPPED> {
  let stopping = false;
  void options.until?.then(
    () => (stopping = true),
    () => (stopping = true),
  );
  /** How far each file has been read, by identity; the most recent {@link MAX_POSITIONS}. */
  const positions = new Map<string, number>();
  const remember = (file: LogCursor) => {
    positions.delete(file.id);
    positions.set(file.id, file.consumed);
    for (const old of positions.keys()) {
      if (positions.size <= MAX_POSITIONS) break;
      positions.delete(old);
    }
  };
  /** Reads a file on from where it was left, to its end. */
  async function* drain(file: LogCursor): AsyncGenerator<LogRecord> {
    yield* file.records();
    remember(file);
  }
  /** The rotated files written after `drained` (all of them when it is gone), each to its end. */
  async function* newerFiles(
    rotated: LogCursor[],
    drained: string | undefined,
  ): AsyncGenerator<LogRecord | typeof SKIPPED> {
    const at = drained === undefined ? -1 : rotated.findIndex((f) => f.id === drained);
    // The file read last was deleted (max-file) before the reader got past it: output may be missing.
    let skipped = drained !== undefined && at < 0;
    for (const [i, file] of rotated.entries()) {
      try {
        if (i <= at) continue;
        file.seek(positions.get(file.id) ?? 0);
        for await (const r of drain(file)) {
          if (skipped) yield SKIPPED;
          skipped = false;
          yield r;
        }
      } finally {
        await file.close();
      }
    }
  }
  let { current, rotated } = await openLogFiles(path);
  /** The identity of the current file read to its end, until the next one is found. */
  let drained: string | undefined;
  /** Looks in a row that found no current file. */
  let missing = 0;
  try {
    yield* newerFiles(rotated, undefined);
    if (current) yield* drain(current);
    yield CAUGHT_UP;
    if (!options.follow) return;
    while (!options.signal?.aborted) {
      if (current) yield* drain(current);
      const now = await stat(path, { bigint: true }).catch(() => undefined);
      const nowId = now && fileId(now);
      if (current && nowId === current.id) {
        // Started over in place (truncated): read it again from its start.
        if (Number(now!.size) < current.position) current.seek(0);
        if (stopping) break;
        await sleep(options.pollMs ?? 100, undefined, { signal: options.signal }).catch(() => undefined);
        continue;
      }
      // Rotated away: read it to its end (the writer closed it before it made the next one).
      if (current) {
        yield* drain(current);
        drained = current.id;
        await current.close();
        current = undefined;
      }
      if (now) {
        missing = 0;
        ({ current, rotated } = await openLogFiles(path, drained));
        yield* newerFiles(rotated, drained);
        drained = undefined;
        if (current) current.seek(positions.get(current.id) ?? 0);
        continue;
      }
      // No current file: the keeper is between its rename and the new file, or the log was
      // removed. Once the container has stopped, whatever is left of the files, then the end.
      missing++;
      if (stopping && missing > MISSING_LOOKS) {
        const rest = await openLogFiles(path, drained);
        await rest.current?.close();
        yield* newerFiles(rest.rotated, drained);
        break;
      }
      await sleep(MISSING_POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await current?.close();
  }
}

/** How long a follower of a stopped container waits for a current file that is not there. */
const MISSING_LOOKS = 20;
const MISSING_POLL_MS = 10;

/** Tries at a set of files opened while no rotation finished. */
const MAX_SNAPSHOTS = 1000;

/** A file's identity: inode and birth time, as the inode number alone is reused. */
function fileId(info: { ino: bigint; birthtimeNs: bigint }): string {
  return `${info.ino}:${info.birthtimeNs}`;
}

/** Files whose read position a reader keeps: far more than max-file keeps at once. */
const MAX_POSITIONS = 1024;

/** An open log file and how far it has been read. */
class LogCursor {
  position = 0;
  private rest = Buffer.alloc(0);
  private readonly buffer = Buffer.alloc(64 * 1024);

  private constructor(
    private readonly file: FileHandle,
    /** The file's identity: inode and birth time (an inode number is reused once a file is gone). */
    readonly id: string,
  ) {}

  /** Opens `path`; undefined when it does not exist. */
  static async open(path: string): Promise<LogCursor | undefined> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return new LogCursor(file, fileId(await file.stat({ bigint: true })));
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** The complete records written since the last call. */
  async *records(): AsyncGenerator<LogRecord> {
    for (;;) {
      const { bytesRead } = await this.file.read(this.buffer, 0, this.buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const lines = Buffer.concat([this.rest, this.buffer.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = lines.indexOf(NEWLINE); end !== -1; end = lines.indexOf(NEWLINE, start)) {
        const record = parseLogLine(lines.subarray(start, end));
        if (record) yield record;
        start = end + 1;
      }
      this.rest = Buffer.from(lines.subarray(start));
    }
  }

  /** Where the next record starts: what was read, less a line not complete yet. */
  get consumed(): number {
    return this.position - this.rest.length;
  }

  /** Reads on from `position` (a record boundary). */
  seek(position: number): void {
    this.position = position;
    this.rest = Buffer.alloc(0);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * Opens the current file and the rotated ones, in the order they were
 * written (rotated oldest first). A rotation renames from the oldest file to
 * the newest, each one number up, and ends by making a new current file; so
 * files opened newest first — the current one, then `.1`, `.2` … — while no
 * rotation ended (the current file is still at `path` afterwards) are in
 * order, a file met twice (shifted between two opens) counting once. A set
 * opened across the end of a rotation is opened again.
 */
async function openLogFiles(
  path: string,
  /** A file read already: the files older than it are not opened. */
  readUpTo?: string,
): Promise<{ current: LogCursor | undefined; rotated: LogCursor[] }> {
  for (let attempt = 0; ; attempt++) {
    const current = await LogCursor.open(path);
    const listed = (await rotatedLogPaths(path)).map((p) => Number(p.slice(path.length + 1)));
    // One number past the listing: a shift right after it moved the oldest file there.
    const last = listed.length ? Math.max(...listed) + 1 : 0;
    const opened: LogCursor[] = [];
    try {
      for (let n = 1; n <= last; n++) {
        const file = await LogCursor.open(`${path}.${n}`);
        if (!file) continue;
        if (file.id === current?.id || opened.some((o) => o.id === file.id)) await file.close();
        else opened.push(file);
        if (file.id === readUpTo) break;
      }
    } catch (err) {
      await Promise.all([current?.close(), ...opened.map((f) => f.close())]);
      throw err;
    }
    const after = await stat(path, { bigint: true }).catch(() => undefined);
    const settled = current ? after !== undefined && fileId(after) === current.id : after === undefined;
    if ((settled && (current || attempt >= 2)) || attempt >= MAX_SNAPSHOTS)
      return { current, rotated: opened.reverse() };
    await Promise.all([current?.close(), ...opened.map((f) => f.close())]);
    if (!current) await sleep(1);
  }
}
