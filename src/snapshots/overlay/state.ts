import { readFile } from 'node:fs/promises';
import { errnoCode, invalidArgument } from '../../core/errors.js';
import { writeFileAtomic, writeFileReplacing } from '../../core/fs-atomic.js';
import type { SnapshotKind, SnapshotUsage } from '../snapshotter.js';

/** One snapshot as stored: its directory id and metadata. */
export interface SnapshotRecord {
  /** Directory name under `snapshots/`; short, so long layer chains fit a mount's options. */
  id: string;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
  updated: string;
  /** Measured at commit; committed snapshots do not change. */
  usage?: SnapshotUsage;
}

/** The whole state file. */
export interface SnapshotState {
  version: 1;
  /** Next directory id; ids are never reused. */
  nextId: number;
  /** Records by key (active, view) or name (committed). */
  snapshots: Record<string, SnapshotRecord>;
}

/**
 * The snapshotter's own metadata: one small JSON file, rewritten whole and
 * atomically (temp file, fsync, rename) on every change, so a crash leaves
 * the old state or the new one. Changes are serialized; each runs on a copy
 * and is kept only once it is on disk.
 */
export class SnapshotStateFile {
  private constructor(
    private readonly path: string,
    private state: SnapshotState,
  ) {}

  private queue: Promise<unknown> = Promise.resolve();

  /** Loads the state at `path`, or starts empty if there is no file yet. */
  static async open(path: string): Promise<SnapshotStateFile> {
    try {
      const state = JSON.parse(await readFile(path, 'utf8')) as SnapshotState;
      if (state.version !== 1)
        throw invalidArgument(`${path}: unknown snapshot state version ${state.version}`);
      return new SnapshotStateFile(path, state);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      return new SnapshotStateFile(path, { version: 1, nextId: 1, snapshots: {} });
    }
  }

  /** The current state; treat it as read-only. */
  get current(): Readonly<SnapshotState> {
    return this.state;
  }

  /**
   * Runs `change` alone (after earlier changes finish) on a copy of the state,
   * then persists the copy (fsynced unless `durable` is false). If `change` or the write fails, the state is as
   * before. `change` may do filesystem work of its own before returning.
   */
  update<T>(
    change: (draft: SnapshotState) => Promise<T> | T,
    options: { durable?: boolean } = {},
  ): Promise<T> {
    const run = this.queue.then(async () => {
      const draft = structuredClone(this.state);
      const result = await change(draft);
      // Not durable: replaced atomically without fsync (the next durable write syncs it too).
      const write = options.durable === false ? writeFileReplacing : writeFileAtomic;
      await write(this.path, `${JSON.stringify(draft, null, 1)}\n`, 0o600);
      this.state = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `task` after pending changes, without changing the state. */
  exclusive<T>(task: (state: Readonly<SnapshotState>) => Promise<T> | T): Promise<T> {
    const run = this.queue.then(() => task(this.state));
    this.queue = run.catch(() => undefined);
    return run;
  }
}
