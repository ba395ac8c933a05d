import { type FSWatcher, watch } from 'node:fs';
import { readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { settleLogKeeper, startLogKeeper } from './keeper.js';

/**
 * Rotation of a container's k8s-file log, Docker's `max-size` / `max-file`:
 *
 *     container.log       the file written now
 *     container.log.1     the one before it … container.log.<max-file - 1> the oldest
 *
 * With max-file ≥ 2 the files are written by a log keeper (keeper-script.ts),
 * a process per container run beside conmon: conmon writes its records into
 * a FIFO, the keeper appends them to `container.log` and, before a record
 * that would pass max-size, rotates (`.N` → `.N+1` from the oldest, the
 * current file → `.1`, a new current file). The writer rotates, so rotation
 * is in order at any output rate and max-size holds while berthd is down.
 *
 * With max-file 1 conmon writes the file itself and starts it over at
 * --log-size-max = max-size (Docker truncates then too); berthd only keeps
 * `<log>.tmp` ready, so that a restart on a data root without free inodes
 * finds its file and conmon (which exits when that open fails) goes on.
 */
export interface LogRotation {
  maxSize: number;
  maxFile: number;
}

/** conmon's --log-size-max: max-size with one file; none when a keeper writes the files. */
export function monitorLogSizeMax(rotation: LogRotation): number | undefined {
  return rotation.maxFile < 2 ? rotation.maxSize : undefined;
}

/** Whether the log of a rotation is written by a keeper (and conmon writes into its FIFO). */
export function keptLog(rotation: LogRotation): boolean {
  return rotation.maxFile >= 2;
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

function ignoreMissing(err: unknown): void {
  if (errnoCode(err) !== 'ENOENT') throw err;
}

function ignoreExisting(err: unknown): void {
  if (errnoCode(err) !== 'EEXIST') throw err;
}

const statOrUndefined = (path: string) => stat(path).catch(() => undefined);

/** Looks after one container run's log files: the keeper's start and end, or conmon's ready file. */
export class LogRotator {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly options: LogRotation & {
      path: string;
      onError: (err: unknown) => void;
      /** How often to look when no change is reported; default 1 s. */
      pollMs?: number;
    },
  ) {}

  /** Whether {@link start} was called. */
  get started(): boolean {
    return this.timer !== undefined || this.watched;
  }

  private watched = false;

  /**
   * Before the monitor starts: with max-file ≥ 2 starts the keeper (the
   * monitor then writes into its FIFO); with one file makes the ready file.
   */
  async prepare(): Promise<void> {
    if (keptLog(this.options)) {
      // A keeper left by a run whose conmon never came (berthd killed in between) holds the
      // directory's lock: it is let go first.
      await settleLogKeeper(this.options.path);
      await startLogKeeper(this.options);
      return;
    }
    await this.tick(false).catch(this.options.onError);
  }

  /** While the container runs: with one file, keeps conmon's ready file made after each restart. */
  start(): void {
    this.watched = true;
    if (keptLog(this.options)) return;
    try {
      this.watcher = watch(dirname(this.options.path), () => this.schedule());
      this.watcher.on('error', () => this.watcher?.close());
    } catch (err) {
      this.options.onError(err);
    }
    this.timer = setInterval(() => this.schedule(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.schedule();
  }

  /** Stops watching (daemon shutdown); the keeper and the ready file stay for the monitor. */
  async detach(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Once the monitor is gone (or never started): waits until the keeper has
   * written all it got and exited; with one file, removes the ready file.
   */
  async stop(): Promise<void> {
    await this.detach();
    if (keptLog(this.options)) await settleLogKeeper(this.options.path).catch(this.options.onError);
    else await this.tick(true).catch(this.options.onError);
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

  /** One file: the ready file made while conmon runs, removed after. */
  private async tick(final: boolean): Promise<void> {
    const { path } = this.options;
    const tmp = `${path}.tmp`;
    const [current, ready] = await Promise.all([statOrUndefined(path), statOrUndefined(tmp)]);
    if (final) await unlink(tmp).catch(ignoreMissing);
    else if (current && !ready) await writeFile(tmp, '', { flag: 'wx', mode: 0o600 }).catch(ignoreExisting);
  }
}
