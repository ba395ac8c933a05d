import { type FSWatcher, type Stats, watch } from 'node:fs';
import { link, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../../core/errors.js';

/**
 * Rotation of a container's k8s-file log, Docker's `max-size` / `max-file`:
 *
 *     container.log       the file conmon writes now
 *     container.log.1     the one before it … container.log.<max-file - 1> the oldest
 *     container.log.tmp   an empty file made ready for conmon's next reopen
 *     container.log.w<n>  second names (hard links) of the current file, the ready
 *                         one and any finished file not rotated in yet
 *
 * conmon's reopen (ctl message 2, or reaching --log-size-max) opens
 * `<log>.tmp` — creating it only when missing — and renames it over
 * `<log>`. berthd makes that file beforehand and links it as `w<n>`, so every
 * file conmon writes has a name of berthd's before the first byte and no
 * reopen can lose one. Once `<log>` reaches max-size berthd asks conmon to
 * reopen; a `w<n>` older than the current file is finished (conmon closes
 * the old file before the rename) and is rotated in as `.1` after shifting
 * `.1` → `.2` … and dropping what max-file does not keep. A rotated file may
 * pass max-size by what arrived before the reopen.
 *
 * With max-file 1 conmon's --log-size-max is max-size and conmon starts the file over
 * itself; berthd only keeps `<log>.tmp` ready, so that a reopen on a data root without
 * free inodes finds its file and conmon (which exits when that open fails) goes on.
 *
 * Otherwise conmon is started with --log-size-max = max(max-size × max-file, 1 MiB)
 * ({@link monitorLogSizeMax}): while berthd is down the current file stays
 * bounded, the ready file takes the first restart, and berthd rotates the
 * finished files in when it is back. The bound is well above max-size so
 * that, while berthd runs, conmon's own restarts (which do not wait for a
 * ready file) stay rare even under a burst of output.
 */
export interface LogRotation {
  maxSize: number;
  maxFile: number;
}

const MIN_MONITOR_LOG_SIZE_MAX = 1024 * 1024;

/** conmon's --log-size-max for a rotation: max-size alone with one file (Docker truncates then). */
export function monitorLogSizeMax(rotation: LogRotation): number {
  if (rotation.maxFile < 2) return rotation.maxSize;
  return Math.max(rotation.maxSize * rotation.maxFile, MIN_MONITOR_LOG_SIZE_MAX);
}

/** The names in the directory of `path`; none when it is gone. */
export async function logDirNames(path: string): Promise<string[]> {
  try {
    return await readdir(dirname(path));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

/** The rotated files of `path` that exist now (`<path>.N`), oldest first; from `names` when given. */
export async function rotatedLogPaths(path: string, names?: string[]): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  return (names ?? (await logDirNames(path)))
    .filter((name) => name.startsWith(prefix) && /^[1-9]\d*$/.test(name.slice(prefix.length)))
    .map((name) => ({ name, n: Number(name.slice(prefix.length)) }))
    .sort((a, b) => b.n - a.n)
    .map(({ name }) => join(dirname(path), name));
}

/**
 * Makes room for `by` new files `<path>.1` … `<path>.<by>`: drops the files
 * max-file does not keep, shifts the others up (oldest first, so no name is taken twice).
 */
async function shiftRotated(path: string, maxFile: number, by = 1): Promise<void> {
  for (const rotated of await rotatedLogPaths(path)) {
    const n = Number(rotated.slice(path.length + 1));
    if (n + by > maxFile - 1) await unlink(rotated).catch(ignoreMissing);
    else await rename(rotated, `${path}.${n + by}`).catch(ignoreMissing);
  }
}

/** berthd's names of the files conmon writes (`<path>.w<n>`), lowest n first; from `names` when given. */
export async function writtenLogPaths(
  path: string,
  names?: string[],
): Promise<{ path: string; n: number }[]> {
  const prefix = `${basename(path)}${WRITTEN_INFIX}`;
  return (names ?? (await logDirNames(path)))
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => ({ path: join(dirname(path), name), n: Number(name.slice(prefix.length)) }))
    .sort((a, b) => a.n - b.n);
}

const WRITTEN_INFIX = '.w';

function ignoreMissing(err: unknown): void {
  if (errnoCode(err) !== 'ENOENT') throw err;
}

function ignoreExisting(err: unknown): void {
  if (errnoCode(err) !== 'EEXIST') throw err;
}

const statOrUndefined = (path: string) => stat(path).catch(() => undefined);

/** Watches one running container's log and rotates it. */
export class LogRotator {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The inode a reopen was asked for, until conmon has replaced it. */
  private reopening: number | undefined;

  constructor(
    private readonly options: LogRotation & {
      path: string;
      /** Asks the writer to reopen `path` (conmon's ctl "reopen logs"). */
      reopen: () => Promise<void>;
      onError: (err: unknown) => void;
      /** How often to look when no change is reported; default 1 s. */
      pollMs?: number;
    },
  ) {}

  /** Whether {@link start} was called. */
  get started(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    try {
      // Every write conmon makes shows here: rotation follows the writer closely.
      this.watcher = watch(dirname(this.options.path), () => this.schedule());
      this.watcher.on('error', () => this.watcher?.close());
    } catch (err) {
      this.options.onError(err);
    }
    this.timer = setInterval(() => this.schedule(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.schedule();
  }

  /** Stops watching, leaving the ready file: it takes a restart conmon makes while berthd is down. */
  async detach(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Stops watching once the writer is gone (call it after the monitor exited):
   * finished files are rotated in, the extra names removed.
   */
  async stop(): Promise<void> {
    await this.detach();
    await this.tick(true).catch(this.options.onError);
  }

  private schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.tick(false).catch(this.options.onError);
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  /**
   * Gets the writer's files named and ready before the first output: the
   * current file gets a name of berthd's and the next one is made, so even a
   * burst at start reaches a reopen close to max-size. Call before the
   * container runs; {@link start} then watches.
   */
  async prepare(): Promise<void> {
    if (this.options.maxFile < 2) return this.tick(false).catch(this.options.onError);
    await this.keepUp().catch(this.options.onError);
  }

  private async tick(final: boolean): Promise<void> {
    const { path, maxSize } = this.options;
    if (this.options.maxFile < 2) {
      // One file: conmon starts it over at --log-size-max on its own. It only needs the ready
      // file, which spares it a new inode (it exits when it cannot open one: a full disk).
      const tmp = `${path}.tmp`;
      const [current, ready] = await Promise.all([statOrUndefined(path), statOrUndefined(tmp)]);
      if (final) await unlink(tmp).catch(ignoreMissing);
      else if (current && !ready) await writeFile(tmp, '', { flag: 'wx', mode: 0o600 }).catch(ignoreExisting);
      return;
    }
    // The reopen comes first: rotating finished files in (a big one is cut) takes longer,
    // and the writer goes on meanwhile.
    if (!final) await this.keepUp();
    const { current, written, finished } = await this.look();
    for (const w of finished) {
      if (w.stat.size === 0) await unlink(w.path).catch(ignoreMissing);
      else await rotateIn(path, w.path, this.options);
      if (!final && !this.stopped) await this.keepUp();
    }
    if (!final) return;
    for (const w of written)
      if (!finished.some((f) => f.path === w.path)) await unlink(w.path).catch(ignoreMissing);
    await unlink(`${path}.tmp`).catch(ignoreMissing);
    // The writer is gone: a last burst that took the current file past max-size is cut too.
    if (current && current.size > maxSize * SPLIT_ABOVE) {
      await rotateIn(path, path, this.options);
      await writeFile(path, '', { flag: 'a', mode: 0o600 });
    }
  }

  /**
   * The writer's files as they are now. The ready file is looked at before the
   * current one: conmon's reopen renames the first over the second, and seen
   * the other way round a file just made current would look finished.
   */
  private async look() {
    const { path } = this.options;
    // Two round trips: while the writer is fast every millisecond here is output past max-size.
    const [ready, names] = await Promise.all([statOrUndefined(`${path}.tmp`), writtenLogPaths(path)]);
    const [current, ...stats] = await Promise.all([
      statOrUndefined(path),
      ...names.map((w) => statOrUndefined(w.path)),
    ]);
    const written = names.map((w, i) => ({ ...w, stat: stats[i] }));
    // Neither current nor ready: conmon has replaced it, it is finished (or it lost a race and is empty).
    const finished = written
      .filter(
        (w): w is typeof w & { stat: Stats } =>
          !!w.stat && w.stat.ino !== current?.ino && w.stat.ino !== ready?.ino,
      )
      .sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs || a.n - b.n);
    return { current, ready, written, finished };
  }

  /** Names the current file, makes the next one ready, and asks for the reopen once max-size is reached. */
  private async keepUp(): Promise<void> {
    const { path, maxSize } = this.options;
    const tmp = `${path}.tmp`;
    // Each step changes what the next one sees: a few looks at most.
    for (let step = 0; step < 4; step++) {
      const { current, ready, written } = await this.look();
      if (!current) return;
      const next = (written.at(-1)?.n ?? 0) + 1;
      if (!written.some((w) => w.stat?.ino === current.ino)) {
        // A file conmon opened on its own (at start, or while berthd was down): give it a name of ours.
        await link(path, `${path}${WRITTEN_INFIX}${next}`).catch(ignoreExisting);
        continue;
      }
      if (!ready) {
        const file = `${path}${WRITTEN_INFIX}${next}`;
        await writeFile(file, '', { flag: 'wx', mode: 0o600 }).catch(ignoreExisting);
        // If conmon made the tmp file first, that one is its own: ours stays empty and is dropped.
        await link(file, tmp).catch(ignoreExisting);
        // Reopen only once the next file has our name too: the next look sees to it.
        continue;
      }
      if (current.size < maxSize || this.reopening === current.ino) return;
      this.reopening = current.ino;
      await this.options.reopen();
      return;
    }
  }
}

/** A finished file this much bigger than max-size is cut into max-size pieces as it is rotated in. */
const SPLIT_ABOVE = 1.5;

/**
 * Rotates a finished file in as `<path>.1`. One that passed max-size by much
 * (a burst of output faster than berthd) is cut at record boundaries into
 * pieces of at most max-size, of which the newest max-file − 1 are rotated
 * in, each starting with an origin line (see {@link originLine}).
 */
async function rotateIn(path: string, from: string, rotation: LogRotation): Promise<void> {
  const { maxSize, maxFile } = rotation;
  const info = await stat(from, { bigint: true });
  const size = Number(info.size);
  if (size <= maxSize * SPLIT_ABOVE) {
    await shiftRotated(path, maxFile);
    await rename(from, `${path}.1`);
    return;
  }
  // Only the tail that can be kept is read.
  const start = Math.max(0, size - (maxFile - 1) * maxSize - 64 * 1024);
  const data = Buffer.alloc(size - start);
  const file = await open(from, 'r');
  try {
    await file.read(data, 0, data.length, start);
  } finally {
    await file.close();
  }
  const first = start === 0 ? 0 : data.indexOf(0x0a) + 1;
  const id = fileId(info);
  const header = originLine(id, size).length;
  const pieces = splitRecords(data.subarray(first), Math.max(maxSize - header, 1), maxFile - 1);
  // The pieces are written under names no reader lists, then take their places at once (one
  // shift, the newest as `.1`): a reader never finds some of them without the original.
  const staged: string[] = [];
  for (const [i, piece] of pieces.entries()) {
    const tmp = `${path}.split${i}`;
    const offset = start + first + piece.start;
    await writeFile(
      tmp,
      Buffer.concat([originLine(id, offset), data.subarray(first + piece.start, first + piece.end)]),
      { mode: 0o600 },
    );
    staged.push(tmp);
  }
  await shiftRotated(path, maxFile, staged.length);
  for (const [i, tmp] of staged.entries()) await rename(tmp, `${path}.${staged.length - i}`);
  await unlink(from);
}

/**
 * The newest `count` pieces of whole lines, each at most `limit` bytes (a
 * longer line is a piece of its own), oldest first, as byte ranges.
 */
export function splitRecords(data: Buffer, limit: number, count: number): { start: number; end: number }[] {
  const pieces: { start: number; end: number }[] = [];
  let end = data.length;
  let cut = end;
  while (cut > 0 && pieces.length < count) {
    // The start of the line that ends at `cut`.
    const lineStart = cut >= 2 ? data.lastIndexOf(0x0a, cut - 2) + 1 : 0;
    if (end - lineStart > limit && end !== cut) {
      pieces.unshift({ start: cut, end });
      end = cut;
      continue;
    }
    cut = lineStart;
  }
  if (pieces.length < count && end > 0) pieces.unshift({ start: 0, end });
  return pieces;
}

const ORIGIN_PREFIX = '#berth-origin ';

/**
 * The first line of a piece cut from a bigger file: which file (inode) and
 * where in it the piece's records were. No k8s-file record looks like it
 * (readers skip it as malformed); berthd's reader uses it so a follower that
 * read the original does not read its pieces again.
 */
export function originLine(id: string, offset: number): Buffer {
  return Buffer.from(`${ORIGIN_PREFIX}${id} ${offset}\n`);
}

/** A file's identity for readers: inode and birth time, as the inode number alone is reused. */
export function fileId(info: { ino: bigint; birthtimeNs: bigint }): string {
  return `${info.ino}:${info.birthtimeNs}`;
}

/** The origin of a piece from its first bytes; undefined for any other file. */
export function parseOrigin(head: Buffer): { id: string; offset: number; length: number } | undefined {
  if (!head.subarray(0, ORIGIN_PREFIX.length).equals(Buffer.from(ORIGIN_PREFIX))) return undefined;
  const end = head.indexOf(0x0a);
  if (end < 0) return undefined;
  const [id, offsetText] = head.subarray(ORIGIN_PREFIX.length, end).toString().split(' ');
  const offset = Number(offsetText);
  if (!id || !/^\d+:\d+$/.test(id) || !Number.isSafeInteger(offset)) return undefined;
  return { id, offset, length: end + 1 };
}
