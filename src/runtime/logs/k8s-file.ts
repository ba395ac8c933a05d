import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../core/errors.js';
import { fileId, logDirNames, parseOrigin, rotatedLogPaths, writtenLogPaths } from './rotation.js';

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
 * bytes. With --log-size-max, conmon starts a new empty file (rename over
 * the old one) when the next write would pass the limit; berthd rotates the
 * file before that (rotation.ts).
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
 * following, a current file that was rotated away (renamed, or replaced by
 * conmon's log-size-max) is read to its end, then any rotated file not read
 * yet, then the new current file from its start: nothing twice, nothing
 * skipped that still exists. A missing file reads as empty.
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
  /** The time of the newest record sent. */
  let latest = 0n;
  const stamp = (r: LogRecord) => {
    if (r.timeNano > latest) latest = r.timeNano;
    return r;
  };
  /** How far each file has been read, by identity; the most recent {@link MAX_POSITIONS}. */
  const positions = new Map<string, number>();
  const remember = (id: string, position: number) => {
    positions.delete(id);
    positions.set(id, position);
    for (const old of positions.keys()) {
      if (positions.size <= MAX_POSITIONS) break;
      positions.delete(old);
    }
  };
  // Every earlier file from where it was left, then the current one: a file that
  // turns out to be current is read once, by its cursor, from where the pass left it.
  async function* earlierFiles(
    files: LogCursor[],
    current: LogCursor | undefined,
    /** The file read to its end just before: when it is no longer listed, what came after it may be gone. */
    drained?: string,
  ): AsyncGenerator<LogRecord | typeof SKIPPED> {
    const indexOf = (id: string) => files.findIndex((f) => f.id === id || f.origin?.id === id);
    // The files are listed in the order they were written. The current file (by its own name or
    // by pieces cut from it) and those after it — conmon moved on since it was opened — are read
    // once it is drained. Unnamed yet, it is newer than every listed file.
    const at = current ? indexOf(current.id) : -1;
    let skipped = drained !== undefined && indexOf(drained) < 0;
    for (const [i, file] of files.entries()) {
      try {
        if (at >= 0 && i >= at) continue;
        let from = positions.get(file.id) ?? 0;
        // A piece of a file cut at rotation: what was read of the original is not read again.
        const origin = file.origin;
        const seen = origin && positions.get(origin.id);
        if (origin) from = Math.max(from, origin.length + Math.max(0, (seen ?? 0) - origin.offset));
        file.seek(from);
        // Output older than what was sent is out of order here (a follower that fell behind a
        // burst finds a piece of an older file): the reader never goes back in time.
        for await (const r of file.records()) {
          if (r.timeNano < latest) continue;
          if (skipped) yield SKIPPED;
          skipped = false;
          yield stamp(r);
        }
        remember(file.id, file.consumed);
        if (origin) remember(origin.id, Math.max(seen ?? 0, origin.offset + file.consumed - origin.length));
      } finally {
        await file.close();
      }
    }
  }
  /** Looks in a row that found no current file. */
  let missing = 0;
  // The current file first: a rotation while the others open then shows as a known inode.
  let { current, files } = await openCurrent(path);
  try {
    yield* earlierFiles(files, current);
    if (current) for await (const r of current.records()) yield stamp(r);
    yield CAUGHT_UP;
    if (!options.follow) return;
    while (!options.signal?.aborted) {
      if (current) for await (const r of current.records()) yield stamp(r);
      const now = await stat(path, { bigint: true }).catch(() => undefined);
      const nowId = now && fileId(now);
      if (now && current && nowId === current.id && Number(now.size) < current.position) current.seek(0);
      else if (now && nowId !== current?.id) {
        // Replaced: finish the old file (conmon closed it before the new one appeared), then the rest.
        if (current) {
          for await (const r of current.records()) yield stamp(r);
          remember(current.id, current.consumed);
          await current.close();
        }
        const drained = current?.id;
        ({ current, files } = await openCurrent(path));
        current?.seek(positions.get(current.id) ?? 0);
        yield* earlierFiles(files, current, drained);
        continue;
      }
      // No current file: berthd's last rotation after the exit renames it and makes a new one.
      // Caught up only once it is back, or at the end whatever is left (the log was removed).
      missing = now ? 0 : missing + 1;
      if (stopping && !now && missing > MISSING_LOOKS) {
        if (current) {
          for await (const r of current.records()) yield stamp(r);
          remember(current.id, current.consumed);
        }
        yield* earlierFiles(await openRotated(path), undefined, current?.id);
        break;
      }
      if (stopping && now) break;
      await sleep(now ? (options.pollMs ?? 100) : MISSING_POLL_MS, undefined, {
        signal: options.signal,
      }).catch(() => undefined);
    }
  } finally {
    await current?.close();
  }
}

/** How long a follower of a stopped container waits for a current file that is not there. */
const MISSING_LOOKS = 20;
const MISSING_POLL_MS = 10;

/** Listings of the files before a reader takes one that kept changing while it was opened. */
const MAX_LISTINGS = 50;

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
    /** For a piece cut from a bigger file: that file and where the piece was in it. */
    readonly origin: ReturnType<typeof parseOrigin>,
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
      const head = Buffer.alloc(64);
      const { bytesRead } = await file.read(head, 0, head.length, 0);
      const info = await file.stat({ bigint: true });
      return new LogCursor(file, fileId(info), parseOrigin(head.subarray(0, bytesRead)));
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
 * Opens the current file and the earlier ones so that they can be put in
 * order: the current one is among them (named by berthd, or cut into pieces),
 * or still at `path` and so newer than all of them. One that went away between
 * the opens (a fast writer moved on and it was rotated out) makes a new try.
 */
async function openCurrent(path: string): Promise<{ current: LogCursor | undefined; files: LogCursor[] }> {
  for (let attempt = 0; ; attempt++) {
    const current = await LogCursor.open(path);
    const files = await openRotated(path);
    if (!current || attempt >= 9) return { current, files };
    if (files.some((f) => f.id === current.id || f.origin?.id === current.id)) return { current, files };
    const now = await stat(path, { bigint: true }).catch(() => undefined);
    if (now && fileId(now) === current.id) return { current, files };
    await Promise.all([current.close(), ...files.map((f) => f.close())]);
  }
}

/**
 * The earlier files of `path` that exist, oldest first: the rotated ones, then
 * berthd's names of the files conmon wrote since (finished ones not rotated in yet,
 * and the empty one ready for its next reopen).
 */
async function openRotated(path: string): Promise<LogCursor[]> {
  // One listing of the directory for both kinds of name: a rename from one to the other
  // between two listings would hide the file.
  const names = async () => {
    const all = await logDirNames(path);
    return [...(await rotatedLogPaths(path, all)), ...(await writtenLogPaths(path, all)).map((w) => w.path)];
  };
  // Opened while no rotation renamed them: a shift between the listing and the opens would
  // show a file under a name already opened, or none. The opens go together, so that a
  // writer that rotates every few milliseconds still leaves a moment for all of them.
  for (let attempt = 0; ; attempt++) {
    const listed = await names();
    const settled = await Promise.allSettled(listed.map((name) => LogCursor.open(name)));
    const cursors = settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(cursors.map((c) => c.close()));
      throw failed.reason;
    }
    if (attempt >= MAX_LISTINGS || (await names()).join('\n') === listed.join('\n')) return cursors;
    await Promise.all(cursors.map((c) => c.close()));
  }
}
