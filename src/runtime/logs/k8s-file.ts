import { type FileHandle, open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../../core/errors.js';

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
 * the old one) when the next write would pass the limit: older output is lost.
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

/**
 * Reads a k8s-file log from the start, record by record. While following,
 * a file that conmon replaced (log-size-max) is read again from its start.
 * A missing file reads as empty.
 */
export async function* readLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogRecord> {
  let stopping = false;
  void options.until?.then(
    () => (stopping = true),
    () => (stopping = true),
  );
  let file = await openLog(path);
  let position = 0;
  let rest = Buffer.alloc(0);
  const buffer = Buffer.alloc(64 * 1024);
  try {
    while (!options.signal?.aborted) {
      const { bytesRead } = file ? await file.read(buffer, 0, buffer.length, position) : { bytesRead: 0 };
      if (bytesRead > 0) {
        position += bytesRead;
        const lines = Buffer.concat([rest, buffer.subarray(0, bytesRead)]);
        let start = 0;
        for (let end = lines.indexOf(NEWLINE); end !== -1; end = lines.indexOf(NEWLINE, start)) {
          const record = parseLogLine(lines.subarray(start, end));
          if (record) yield record;
          start = end + 1;
        }
        rest = Buffer.from(lines.subarray(start));
        continue;
      }
      if (!options.follow || stopping) break;
      await sleep(options.pollMs ?? 100, undefined, { signal: options.signal }).catch(() => undefined);
      if (await replaced(path, file, position)) {
        await file?.close();
        file = await openLog(path);
        position = 0;
        rest = Buffer.alloc(0);
      }
    }
  } finally {
    await file?.close();
  }
}

async function openLog(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when `path` is no longer the file we read (renamed over) or shrank below what we read. */
async function replaced(path: string, file: FileHandle | undefined, position: number): Promise<boolean> {
  const current = await stat(path).catch(() => undefined);
  if (!current) return false;
  if (!file) return true;
  const ours = await file.stat();
  return ours.ino !== current.ino || current.size < position;
}
