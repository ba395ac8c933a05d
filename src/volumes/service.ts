import { randomBytes } from 'node:crypto';
import { KeyedMutex } from '../content/keyed-mutex.js';
import { conflict, invalidArgument, isKind, notFound } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { PublishInput } from '../events/event.js';
import { copyUp } from './copy-up.js';
import { checkLocalOptions, mountDevice, needsDeviceMount, unmountDevice } from './device-mount.js';
import {
  ANONYMOUS_LABEL,
  type Volume,
  type VolumeCreateRequest,
  type VolumeFilters,
  type VolumeRecord,
} from './types.js';
import { VolumeStore } from './volume-store.js';

/** Docker's rule for volume names. */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Options of {@link VolumeService.open}. */
export interface VolumeServiceOptions {
  /** `<data-root>/volumes`. */
  root: string;
  logger?: Logger;
  /** Owner of new volumes' data directories: the remapped root of a `userns-remap` daemon. */
  owner?: { uid: number; gid: number };
  /** Where volume events go (create, destroy, mount, unmount, prune), as dockerd logs them. */
  events?: { publish(input: PublishInput): unknown };
}

/** What a `mount` event tells about the container's use of the volume. */
export interface VolumeMountDetails {
  destination: string;
  readWrite: boolean;
  propagation?: string;
}

/**
 * Named and anonymous volumes of the local driver. Containers *use* a volume
 * from creation to removal (it cannot be removed meanwhile) and *mount* it
 * while they run: a volume with a device (`-o type=tmpfs`, `-o o=bind`) is
 * mounted at its first mount and unmounted at its last. Both lists are kept
 * in the record on disk, so a restarted daemon knows them; `reconcile`
 * drops those of containers that are gone.
 */
export class VolumeService {
  private readonly volumes = new Map<string, VolumeRecord>();
  private readonly lock = new KeyedMutex();
  private readonly logger: Logger;

  private constructor(
    private readonly store: VolumeStore,
    logger: Logger | undefined,
    private readonly events: VolumeServiceOptions['events'],
  ) {
    this.logger = logger ?? silentLogger;
  }

  private event(action: string, name: string, attributes: Record<string, string> = {}): void {
    this.events?.publish({ type: 'volume', action, id: name, attributes });
  }

  /** Loads the volumes under `root`. */
  static async open(options: VolumeServiceOptions): Promise<VolumeService> {
    const service = new VolumeService(
      new VolumeStore(options.root, options.owner),
      options.logger,
      options.events,
    );
    const onBad = (name: string, error: unknown) =>
      service.logger.warn('skipping unreadable volume', { name, error });
    for (const record of await service.store.loadAll(onBad)) service.volumes.set(record.name, record);
    return service;
  }

  /**
   * Creates a volume; a named one that exists is returned as it is, as Docker
   * does — and, as dockerd, a `create` event is sent either way.
   */
  async create(request: VolumeCreateRequest = {}): Promise<Volume> {
    if (request.driver && request.driver !== 'local')
      throw notFound(`volume driver ${request.driver} not found`);
    const anonymous = !request.name;
    const name = request.name ?? randomBytes(32).toString('hex');
    if (!NAME_PATTERN.test(name)) {
      throw invalidArgument(
        `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
      );
    }
    const options = { ...request.options };
    checkLocalOptions(options);
    const volume = await this.lock.run(name, async () => {
      const existing = this.volumes.get(name);
      if (existing) return this.view(existing);
      const labels = { ...request.labels, ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
      const record: VolumeRecord = {
        name,
        driver: 'local',
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        labels,
        options,
        anonymous,
        users: [],
        mountedBy: [],
      };
      await this.store.save(record);
      this.volumes.set(name, record);
      return this.view(record);
    });
    this.event('create', volume.name, { driver: volume.driver });
    return volume;
  }

  /** A volume by name (NotFound otherwise). */
  get(name: string): Volume {
    return this.view(this.record(name));
  }

  /** Volumes passing the filters, by name in byte order (as Go sorts strings; no ICU collator). */
  list(filters: VolumeFilters = {}): Volume[] {
    return [...this.volumes.values()]
      .filter((record) => matches(record, filters))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((record) => this.view(record));
  }

  /** Removes an unused volume; with `force` a missing one is not an error. */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    if (!this.volumes.has(name) && options.force) return;
    this.record(name);
    await this.lock.run(name, async () => {
      const record = this.record(name);
      if (record.users.length > 0) {
        throw conflict(`remove ${name}: volume is in use - [${record.users.join(', ')}]`);
      }
      await unmountDevice(this.store.dataDir(name));
      await this.store.delete(name);
      this.volumes.delete(name);
      this.event('destroy', name, { driver: record.driver });
    });
  }

  /** Records that a container uses the volume (at container create). */
  async addUser(name: string, containerId: string): Promise<void> {
    await this.update(name, (record) => ({ users: addOnce(record.users, containerId) }));
  }

  /** Records that a container no longer uses the volume (at container removal). */
  async removeUser(name: string, containerId: string): Promise<void> {
    await this.update(name, (record) => ({ users: record.users.filter((id) => id !== containerId) }));
  }

  /**
   * Mounts the volume for a starting container and returns the host path to
   * bind into it. The volume's device is mounted when the first container does.
   */
  async mount(name: string, containerId: string, details?: VolumeMountDetails): Promise<string> {
    const dir = this.store.dataDir(name);
    await this.lock.run(name, async () => {
      const record = this.record(name);
      if (record.mountedBy.length === 0 && needsDeviceMount(record.options)) {
        await unmountDevice(dir); // a mount left by a crash would be stacked under the new one
        await mountDevice(record.options, dir);
      }
      await this.save({ ...record, mountedBy: addOnce(record.mountedBy, containerId) });
      this.event('mount', name, {
        container: containerId,
        ...(details
          ? {
              destination: details.destination,
              propagation: details.propagation ?? '',
              'read/write': String(details.readWrite),
            }
          : {}),
        driver: record.driver,
      });
    });
    return dir;
  }

  /** Releases a stopped container's mount; the device is unmounted after the last one. */
  async unmount(name: string, containerId: string): Promise<void> {
    await this.lock.run(name, async () => {
      const record = this.record(name);
      if (!record.mountedBy.includes(containerId)) return;
      const mountedBy = record.mountedBy.filter((id) => id !== containerId);
      if (mountedBy.length === 0 && needsDeviceMount(record.options))
        await unmountDevice(this.store.dataDir(name));
      await this.save({ ...record, mountedBy });
      this.event('unmount', name, { container: containerId, driver: record.driver });
    });
  }

  /**
   * Fills an empty volume from the image's content at the mount path (call
   * it after `mount`, so a device volume gets the copy). Returns whether
   * anything was copied.
   */
  async copyUp(name: string, imagePath: string): Promise<boolean> {
    this.record(name);
    return this.lock.run(name, () => copyUp(imagePath, this.store.dataDir(name)));
  }

  /**
   * Removes volumes no container uses: anonymous ones only, unless `all`
   * (Docker API ≥ 1.42). Returns their names and the bytes freed.
   */
  async prune(
    options: { all?: boolean; label?: string[] } = {},
  ): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const result = { deleted: [] as string[], spaceReclaimed: 0 };
    for (const volume of this.list({ dangling: true, label: options.label })) {
      if (!options.all && !volume.anonymous) continue;
      const size = await this.store.usage(volume.name);
      try {
        await this.remove(volume.name);
        result.deleted.push(volume.name);
        result.spaceReclaimed += size;
      } catch (error) {
        if (!isKind(error, 'Conflict'))
          this.logger.warn('volume prune skipped a volume', { name: volume.name, error });
      }
    }
    this.event('prune', '', { reclaimed: String(result.spaceReclaimed) });
    return result;
  }

  /**
   * At daemon start: forgets users that no longer exist and mounts of
   * containers that are not running, unmounting devices nobody needs.
   */
  async reconcile(containers: { existing: Iterable<string>; running: Iterable<string> }): Promise<void> {
    const existing = new Set(containers.existing);
    const running = new Set(containers.running);
    for (const record of [...this.volumes.values()]) {
      const users = record.users.filter((id) => existing.has(id));
      const mountedBy = record.mountedBy.filter((id) => running.has(id));
      if (users.length === record.users.length && mountedBy.length === record.mountedBy.length) continue;
      await this.lock.run(record.name, async () => {
        if (mountedBy.length === 0 && needsDeviceMount(record.options))
          await unmountDevice(this.store.dataDir(record.name));
        await this.save({ ...record, users, mountedBy });
      });
    }
  }

  private async update(name: string, change: (record: VolumeRecord) => Partial<VolumeRecord>): Promise<void> {
    await this.lock.run(name, async () => {
      const record = this.record(name);
      await this.save({ ...record, ...change(record) });
    });
  }

  private async save(record: VolumeRecord): Promise<void> {
    await this.store.save(record);
    this.volumes.set(record.name, record);
  }

  private record(name: string): VolumeRecord {
    const record = this.volumes.get(name);
    if (!record) throw notFound(`get ${name}: no such volume`);
    return record;
  }

  private view(record: VolumeRecord): Volume {
    return { ...record, mountpoint: this.store.dataDir(record.name) };
  }
}

function addOnce(list: readonly string[], item: string): string[] {
  return list.includes(item) ? [...list] : [...list, item];
}

function matches(record: VolumeRecord, filters: VolumeFilters): boolean {
  const anyOf = (values: string[] | undefined, test: (value: string) => boolean) =>
    !values || values.length === 0 || values.some(test);
  return (
    anyOf(filters.name, (value) => record.name.includes(value)) &&
    anyOf(filters.driver, (value) => record.driver === value) &&
    (filters.label ?? []).every((filter) => {
      const eq = filter.indexOf('=');
      return eq < 0
        ? Object.hasOwn(record.labels, filter)
        : record.labels[filter.slice(0, eq)] === filter.slice(eq + 1);
    }) &&
    (filters.dangling === undefined || filters.dangling === (record.users.length === 0))
  );
}
