import { chown, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  alreadyExists,
  errnoCode,
  failedPrecondition,
  fileWriteError,
  invalidArgument,
  notFound,
} from '../../core/errors.js';
import type { IdMap } from '../../core/id-map.js';
import { kernelRemoveTree } from '../../core/kernel-calls.js';
import { traced } from '../../core/spans.js';
import { diskUsage } from '../disk-usage.js';
import {
  type Mount,
  matchesFilter,
  type RemoveOptions,
  type SnapshotInfo,
  SnapshotKind,
  type SnapshotOptions,
  type Snapshotter,
  type SnapshotUsage,
  type WalkFilter,
} from '../snapshotter.js';
import { checkParent, toInfo, updatedLabels } from './records.js';
import { type SnapshotRecord, type SnapshotState, SnapshotStateFile } from './state.js';

/**
 * Creates an overlayfs snapshotter rooted at `root`:
 *
 *     <root>/metadata.json          snapshot records (see state.ts)
 *     <root>/snapshots/<id>/fs      the snapshot's layer (overlay upperdir or lowerdir)
 *     <root>/snapshots/<id>/work    overlay workdir, for active snapshots
 *
 * Ids are small integers, so a chain of hundreds of layers still fits one
 * mount's option page once mount.ts makes the paths relative. Directories
 * that no record names (left by a crash mid-prepare or mid-remove) are
 * deleted on open.
 *
 * With `idMap` (a `userns-remap` daemon) every layer directory starts owned
 * by the remapped root, so a container's root owns its root directory, and
 * callers unpack layers with shifted owners (`snapshotter.idMap`).
 */
export async function createOverlaySnapshotter(
  root: string,
  options: { idMap?: IdMap } = {},
): Promise<Snapshotter> {
  await mkdir(join(root, 'snapshots'), { recursive: true, mode: 0o700 });
  const state = await SnapshotStateFile.open(join(root, 'metadata.json'));
  await removeOrphans(join(root, 'snapshots'), state.current);
  return new OverlaySnapshotter(root, state, options.idMap);
}

async function removeOrphans(dir: string, state: Readonly<SnapshotState>): Promise<void> {
  const ids = new Set(Object.values(state.snapshots).map((record) => record.id));
  for (const name of await readdir(dir)) {
    if (!ids.has(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

class OverlaySnapshotter implements Snapshotter {
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly state: SnapshotStateFile,
    readonly idMap?: IdMap,
  ) {}

  async stat(key: string): Promise<SnapshotInfo> {
    return toInfo(key, this.record(key));
  }

  async update(info: SnapshotInfo, fieldPaths: string[] = []): Promise<SnapshotInfo> {
    this.checkOpen();
    return this.state.update((draft) => {
      const record = draft.snapshots[info.name];
      if (!record) throw notFound(`snapshot ${info.name} not found`);
      record.labels = updatedLabels(record.labels, info.labels, fieldPaths);
      record.updated = new Date().toISOString();
      return toInfo(info.name, record);
    });
  }

  async usage(key: string): Promise<SnapshotUsage> {
    const record = this.record(key);
    return record.usage ?? diskUsage(this.fsDir(record.id));
  }

  async mounts(key: string): Promise<Mount[]> {
    const record = this.record(key);
    if (record.kind === SnapshotKind.Committed)
      throw failedPrecondition(`snapshot ${key} is committed, not active`);
    return this.mountsFor(record);
  }

  prepare(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]> {
    return this.create(SnapshotKind.Active, key, parent, options);
  }

  view(key: string, parent?: string, options?: SnapshotOptions): Promise<Mount[]> {
    return this.create(SnapshotKind.View, key, parent, options);
  }

  async commit(name: string, key: string, options: SnapshotOptions = {}): Promise<void> {
    this.checkOpen();
    await this.state.update(async (draft) => {
      const record = draft.snapshots[key];
      if (!record) throw notFound(`snapshot ${key} not found`);
      if (record.kind !== SnapshotKind.Active)
        throw failedPrecondition(`snapshot ${key} is ${record.kind}, not active`);
      if (draft.snapshots[name]) throw alreadyExists(`snapshot ${name} already exists`);
      const now = new Date().toISOString();
      const usage = await diskUsage(this.fsDir(record.id));
      const labels = { ...record.labels, ...options.labels };
      delete draft.snapshots[key];
      draft.snapshots[name] = {
        ...record,
        kind: SnapshotKind.Committed,
        labels,
        created: now,
        updated: now,
        usage,
      };
    });
  }

  async remove(key: string, options: RemoveOptions = {}): Promise<void> {
    this.checkOpen();
    const id = await traced('snapshot.remove.record', () =>
      this.state.update((draft) => {
        const record = draft.snapshots[key];
        if (!record) throw notFound(`snapshot ${key} not found`);
        const child = Object.entries(draft.snapshots).find(([, other]) => other.parent === key)?.[0];
        if (child !== undefined)
          throw failedPrecondition(`cannot remove snapshot ${key}: ${child} depends on it`);
        delete draft.snapshots[key];
        return record.id;
      }, options),
    );
    // The record is gone; a directory left by a crash here is an orphan, removed on next open.
    await options.released;
    await traced('snapshot.remove.files', async () => {
      const doomed = join(this.root, 'snapshots', `rm-${id}`);
      try {
        await rename(join(this.root, 'snapshots', id), doomed);
      } catch (err) {
        // A record that came back after a power loss whose files had gone: nothing to remove.
        if (errnoCode(err) === 'ENOENT') return;
        throw err;
      }
      // Done when the space is free again: a full disk waits for it.
      const removed = await kernelRemoveTree(doomed).catch(() => false);
      if (!removed) await rm(doomed, { recursive: true, force: true });
    });
  }

  async walk(fn: (info: SnapshotInfo) => void | Promise<void>, filter?: WalkFilter): Promise<void> {
    this.checkOpen();
    const infos = Object.entries(this.state.current.snapshots).map(([key, record]) => toInfo(key, record));
    for (const info of infos.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (matchesFilter(info, filter)) await fn(info);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.state.exclusive(() => undefined);
  }

  private async create(kind: SnapshotKind, key: string, parentName?: string, options: SnapshotOptions = {}) {
    this.checkOpen();
    const parent = parentName || undefined;
    if (key === '') throw invalidArgument('snapshot key must not be empty');
    let createdDir: string | undefined;
    try {
      const record = await this.state.update(async (draft) => {
        if (draft.snapshots[key]) throw alreadyExists(`snapshot ${key} already exists`);
        checkParent(draft, parent);
        const id = String(draft.nextId++);
        createdDir = await this.makeSnapshotDir(id, kind);
        const now = new Date().toISOString();
        const record: SnapshotRecord = {
          id,
          kind,
          parent,
          labels: { ...options.labels },
          created: now,
          updated: now,
        };
        draft.snapshots[key] = record;
        return record;
      }, options);
      return this.mountsFor(record);
    } catch (err) {
      if (createdDir && !this.state.current.snapshots[key])
        await rm(createdDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Builds the directories under a temporary name, then renames them into place. */
  private async makeSnapshotDir(id: string, kind: SnapshotKind): Promise<string> {
    const temp = await mkdtemp(join(this.root, 'snapshots', 'new-'));
    const dir = join(this.root, 'snapshots', id);
    try {
      await mkdir(join(temp, 'fs'), { mode: 0o755 });
      if (this.idMap) await chown(join(temp, 'fs'), this.idMap.root.uid, this.idMap.root.gid);
      if (kind === SnapshotKind.Active) await mkdir(join(temp, 'work'), { mode: 0o700 });
      await rename(temp, dir);
    } catch (err) {
      // A full disk fails the mkdir: the half-made directory must not wait for a restart.
      await rm(temp, { recursive: true, force: true });
      throw fileWriteError(err, temp, 'mkdir');
    }
    return dir;
  }

  private mountsFor(record: SnapshotRecord): Mount[] {
    const lowers = this.parentIds(record.parent).map((id) => this.fsDir(id));
    if (record.kind === SnapshotKind.Active) {
      if (lowers.length === 0)
        return [{ type: 'bind', source: this.fsDir(record.id), options: ['rw', 'rbind'] }];
      const work = join(this.root, 'snapshots', record.id, 'work');
      const options = [
        `workdir=${work}`,
        `upperdir=${this.fsDir(record.id)}`,
        `lowerdir=${lowers.join(':')}`,
      ];
      return [{ type: 'overlay', source: 'overlay', options }];
    }
    if (lowers.length <= 1) {
      return [{ type: 'bind', source: lowers[0] ?? this.fsDir(record.id), options: ['ro', 'rbind'] }];
    }
    // overlayfs with only lower layers is read-only.
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`] }];
  }

  /** Directory ids of `parent` and its ancestors, nearest first (overlay's lowerdir order). */
  private parentIds(parent: string | undefined): string[] {
    const ids: string[] = [];
    for (let name = parent; name !== undefined; name = this.state.current.snapshots[name]?.parent) {
      const record = this.state.current.snapshots[name];
      if (!record) throw notFound(`parent snapshot ${name} not found`);
      ids.push(record.id);
    }
    return ids;
  }

  private fsDir(id: string): string {
    return join(this.root, 'snapshots', id, 'fs');
  }

  private record(key: string): SnapshotRecord {
    this.checkOpen();
    const record = this.state.current.snapshots[key];
    if (!record) throw notFound(`snapshot ${key} not found`);
    return record;
  }

  private checkOpen(): void {
    if (this.closed) throw failedPrecondition('snapshotter is closed');
  }
}
