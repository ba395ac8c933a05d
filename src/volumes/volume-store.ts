import { chown, lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, failedPrecondition } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { mountPointsUnder } from './device-mount.js';
import type { VolumeRecord } from './types.js';

/**
 * Volumes on disk, one directory each:
 *
 *     <root>/<name>/volume.json   the record, written atomically
 *     <root>/<name>/_data         the data (or the mount point of its device)
 *
 * A volume exists once its record is written; a directory without one is
 * the leftover of an interrupted create and is ignored.
 */
export class VolumeStore {
  /** `owner`: who a new data directory belongs to (the remapped root under `userns-remap`). */
  constructor(
    readonly root: string,
    private readonly owner?: { uid: number; gid: number },
  ) {}

  /** The host directory holding a volume's data. */
  dataDir(name: string): string {
    return join(this.root, name, '_data');
  }

  async loadAll(onBadRecord: (name: string, err: unknown) => void): Promise<VolumeRecord[]> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    const records: VolumeRecord[] = [];
    for (const name of await readdir(this.root)) {
      try {
        records.push(
          JSON.parse(await readFile(join(this.root, name, 'volume.json'), 'utf8')) as VolumeRecord,
        );
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') onBadRecord(name, err);
      }
    }
    return records;
  }

  /** Makes the data directory (if needed) and writes the record. */
  async save(record: VolumeRecord): Promise<void> {
    const made = await mkdir(this.dataDir(record.name), { recursive: true, mode: 0o755 });
    if (made && this.owner) await chown(this.dataDir(record.name), this.owner.uid, this.owner.gid);
    await writeFileAtomic(join(this.root, record.name, 'volume.json'), JSON.stringify(record, null, 2));
  }

  /**
   * Deletes a volume's directory. Refuses while anything is mounted inside:
   * a recursive delete would go through a bind-mounted host directory.
   */
  async delete(name: string): Promise<void> {
    const dir = join(this.root, name);
    if ((await mountPointsUnder(dir)).length > 0) {
      throw failedPrecondition(`volume ${name} is still mounted; unmount it first`);
    }
    await rm(join(dir, 'volume.json'), { force: true });
    await rm(dir, { recursive: true, force: true });
  }

  /** Bytes used by a volume's data (apparent sizes, hard links counted once). */
  async usage(name: string): Promise<number> {
    return directorySize(this.dataDir(name), new Set());
  }
}

async function directorySize(path: string, seen: Set<string>): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  const key = `${info.dev}:${info.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path).catch(() => []))
    total += await directorySize(join(path, entry), seen);
  return total;
}
