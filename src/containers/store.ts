import { mkdir, readdir, readFile, rename, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { alreadyExists, errnoCode, invalidArgument, notFound } from '../core/errors.js';
import { writeFileAtomic, writeFileReplacing } from '../core/fs-atomic.js';
import type { Logger } from '../core/logger.js';
import type { ContainerRecord } from './record.js';

const RECORD_FILE = 'config.v2.json';
/** Prefix of a container directory being removed. */
const REMOVING = '.removing-';

/**
 * Container records: one JSON file per container (`<root>/<id>/config.v2.json`,
 * written atomically) plus an in-memory index by id and name. A record that
 * cannot be read at start is logged and skipped, never fatal.
 */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  private constructor(
    readonly root: string,
    private readonly log: Logger,
  ) {}

  static async open(root: string, log: Logger): Promise<ContainerStore> {
    await mkdir(root, { recursive: true, mode: 0o710 });
    const store = new ContainerStore(root, log);
    for (const id of await readdir(root)) {
      if (id.startsWith(REMOVING)) {
        await rm(join(root, id), { recursive: true, force: true });
        continue;
      }
      try {
        const record = JSON.parse(await readFile(join(root, id, RECORD_FILE), 'utf8')) as ContainerRecord;
        store.index(record);
      } catch (err) {
        // Records are written atomically, so a missing one means a create a crash cut short
        // (the directory is made first); an unreadable one is kept for system check.
        if (errnoCode(err) === 'ENOENT') {
          log.info('removing the directory of an unfinished create', { id });
          await rm(join(root, id), { recursive: true, force: true });
        } else log.warn('skipping unreadable container record', { id, error: err });
      }
    }
    return store;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  private index(record: ContainerRecord): void {
    this.byId.set(record.Id, record);
    // A removal a crash interrupted (finished at start) yields its name to a live holder.
    const holder = this.byName.get(record.Name);
    if (record.State.Status === 'removing' && holder !== undefined && holder !== record.Id) return;
    this.byName.set(record.Name, record.Id);
  }

  list(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** By full ID, name (with or without "/"), or unique ID prefix, as dockerd resolves them. */
  get(ref: string): ContainerRecord {
    const found = this.find(ref);
    if (!found) throw notFound(`No such container: ${ref}`);
    return found;
  }

  find(ref: string): ContainerRecord | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const name = ref.replace(/^\//, '');
    const byName = this.byName.get(name);
    if (byName) return this.byId.get(byName);
    // "parent/alias": the child of a legacy link, a second name dockerd gives it.
    const slash = name.lastIndexOf('/');
    if (slash > 0) {
      const parent = this.byId.get(this.byName.get(name.slice(0, slash)) ?? '');
      const link = parent?.Links?.find((l) => l.Alias === name.slice(slash + 1));
      return link && this.byId.get(link.Child);
    }
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.byId.get(matches[0]) : undefined;
  }

  nameInUse(name: string): string | undefined {
    return this.byName.get(name);
  }

  async create(record: ContainerRecord): Promise<void> {
    const holder = this.byName.get(record.Name);
    if (holder) {
      throw alreadyExists(
        `Conflict. The container name "/${record.Name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    await mkdir(this.dir(record.Id), { recursive: true, mode: 0o710 });
    this.index(record);
    await this.save(record);
  }

  /**
   * Persists the record as it is now (callers mutate, then save). A `--rm`
   * container's record is replaced atomically but not fsynced: it exists only
   * until the container's exit, and a kill -9 of berthd loses nothing that is
   * in the page cache. After a power loss what is left of such a container is
   * removed at start (a record found stopped, a snapshot without a record) or,
   * for an unreadable record, by `berth system check --repair`.
   */
  async save(record: ContainerRecord): Promise<void> {
    const path = join(this.dir(record.Id), RECORD_FILE);
    const text = JSON.stringify(record);
    if ((record.HostConfig as { AutoRemove?: boolean }).AutoRemove)
      await writeFileReplacing(path, text, 0o600);
    else await writeFileAtomic(path, text, 0o600);
  }

  async rename(record: ContainerRecord, newName: string): Promise<void> {
    const holder = this.byName.get(newName);
    if (holder && holder !== record.Id) {
      throw alreadyExists(
        `Error when allocating new name: Conflict. The container name "/${newName}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.byName.delete(record.Name);
    record.Name = newName;
    this.byName.set(newName, record.Id);
    await this.save(record);
  }

  async delete(id: string): Promise<void> {
    if (!this.forget(id)) return;
    await this.deleteFiles(id);
  }

  /**
   * Drops a record from the index only (the API no longer finds it, its name
   * is free); its files stay until deleteFiles. Returns whether it was indexed.
   */
  forget(id: string): boolean {
    const record = this.byId.get(id);
    if (!record) return false;
    this.byId.delete(id);
    // A name another container took meanwhile stays that container's.
    if (this.byName.get(record.Name) === id) this.byName.delete(record.Name);
    return true;
  }

  /**
   * Empties a container's log files (`container.log` and its rotated and
   * in-flight siblings) before its removal: on a full disk the removal has
   * records to write, and the logs are usually what filled it.
   */
  async truncateLogs(id: string): Promise<void> {
    const names = await readdir(this.dir(id)).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => name.startsWith('container.log'))
        .map((name) => truncate(join(this.dir(id), name), 0).catch(() => {})),
    );
  }

  /** Removes a record's directory (after forget). */
  async deleteFiles(id: string): Promise<void> {
    // One rename takes the record away whole; a crash during the rm below then leaves a
    // tombstone that open() finishes, not a directory of logs and hosts files without a record.
    const tombstone = join(this.root, `${REMOVING}${id}`);
    await rename(this.dir(id), tombstone).catch(() => {});
    await rm(tombstone, { recursive: true, force: true });
    this.log.debug('container record removed', { id });
  }
}
