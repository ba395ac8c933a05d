import { chown, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ContainerRecord, JsonObject } from '../containers/record.js';
import type { OciMount } from '../containers/spec/oci.js';
import type { ContainerStore } from '../containers/store.js';
import type { ContainerVolumes } from '../containers/volumes.js';
import { errnoCode, invalidArgument } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { secureJoin } from '../core/secure-join.js';
import { type MountSpec, parseVolumeSpec, toOciMount, type VolumeService } from '../volumes/index.js';
import { mountSpecFromApi } from './mount-api.js';

type HostMountConfig = {
  Binds?: string[] | null;
  Mounts?: JsonObject[] | null;
  VolumesFrom?: string[] | null;
};

/**
 * Volumes and binds of containers on the local volume driver. A container
 * *uses* its volumes from create to remove and *mounts* them while it runs.
 */
export class LocalContainerVolumes implements ContainerVolumes {
  constructor(
    private readonly volumes: VolumeService,
    private readonly containers: () => ContainerStore,
    private readonly log: Logger,
    /** userns-remap: bind sources Berth creates belong to the remapped root, as dockerd's do. */
    private readonly owner?: { uid: number; gid: number },
  ) {}

  async prepare(record: ContainerRecord): Promise<void> {
    const h = record.HostConfig as HostMountConfig;
    const specs: MountSpec[] = [];
    const add = (spec: MountSpec) => {
      if (specs.some((s) => s.target === spec.target))
        throw invalidArgument(`Duplicate mount point: ${spec.target}`);
      specs.push(spec);
    };
    for (const bind of h.Binds ?? []) add(parseVolumeSpec(bind));
    for (const mount of h.Mounts ?? []) add(mountSpecFromApi(mount));
    for (const from of h.VolumesFrom ?? []) {
      const [ref = '', mode] = from.split(':');
      if (mode !== undefined && mode !== 'ro' && mode !== 'rw')
        throw invalidArgument(`invalid mode for volumes-from: ${mode}`);
      const other = this.containers().get(ref);
      for (const spec of (other.MountSpecs ?? []) as unknown as MountSpec[]) {
        if (spec.type === 'tmpfs' || specs.some((s) => s.target === spec.target)) continue;
        specs.push({ ...spec, ...(mode ? { readOnly: mode === 'ro' } : {}) });
      }
    }
    // The image's VOLUMEs that nothing else covers become anonymous volumes.
    for (const target of Object.keys((record.Config.Volumes as Record<string, unknown> | null) ?? {})) {
      if (!specs.some((s) => s.target === target))
        specs.push({ type: 'volume', source: '', target, readOnly: false });
    }
    await this.checkBinds(specs, h.Binds ?? []);
    const users: string[] = [];
    try {
      for (const spec of specs) {
        if (spec.type !== 'volume') continue;
        const volume = await this.volumes.create({
          ...(spec.source ? { name: spec.source } : {}),
          ...(spec.volumeLabels ? { labels: spec.volumeLabels } : {}),
          ...(spec.volumeOptions ? { options: spec.volumeOptions } : {}),
          ...(spec.volumeDriver ? { driver: spec.volumeDriver } : {}),
        });
        spec.source = volume.name;
        await this.volumes.addUser(volume.name, record.Id);
        users.push(volume.name);
      }
    } catch (err) {
      for (const name of users) await this.volumes.removeUser(name, record.Id).catch(() => {});
      throw err;
    }
    record.MountSpecs = specs as unknown as JsonObject[];
    record.Mounts = specs.map((spec) => this.dockerMount(spec));
  }

  /** `-v /host:/path` makes a missing host directory, as dockerd does; `--mount type=bind` refuses it. */
  private async checkBinds(specs: MountSpec[], binds: readonly string[]): Promise<void> {
    const fromFlag = new Set(binds.map((b) => parseVolumeSpec(b).target));
    for (const spec of specs) {
      if (spec.type !== 'bind') continue;
      const exists = await stat(spec.source).then(
        () => true,
        (err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return false;
          throw err;
        },
      );
      if (exists) continue;
      if (!fromFlag.has(spec.target))
        throw invalidArgument(
          `invalid mount config for type "bind": bind source path does not exist: ${spec.source}`,
        );
      const made = await mkdir(spec.source, { recursive: true, mode: 0o755 });
      if (made && this.owner) {
        // Only the directories made here, from the first one down to the source.
        for (let dir = spec.source; dir.length >= made.length; dir = dirname(dir)) {
          await chown(dir, this.owner.uid, this.owner.gid);
        }
      }
    }
  }

  private dockerMount(spec: MountSpec): JsonObject {
    if (spec.type === 'volume') {
      return {
        Type: 'volume',
        Name: spec.source,
        Source: this.volumes.get(spec.source).mountpoint,
        Destination: spec.target,
        Driver: 'local',
        Mode: spec.noCopy ? 'nocopy' : '',
        RW: !spec.readOnly,
        Propagation: '',
      };
    }
    if (spec.type === 'tmpfs') {
      return {
        Type: 'tmpfs',
        Source: '',
        Destination: spec.target,
        Mode: '',
        RW: !spec.readOnly,
        Propagation: '',
      };
    }
    return {
      Type: 'bind',
      Source: spec.source,
      Destination: spec.target,
      Mode: spec.readOnly ? 'ro' : '',
      RW: !spec.readOnly,
      Propagation: spec.propagation ?? 'rprivate',
    };
  }

  async mount(record: ContainerRecord, rootfs: string): Promise<OciMount[]> {
    const mounts: OciMount[] = [];
    const mounted: string[] = [];
    try {
      for (const spec of specsOf(record)) {
        if (spec.type !== 'volume') {
          mounts.push(toOciMount(spec));
          continue;
        }
        const dir = await this.volumes.mount(spec.source, record.Id, {
          destination: spec.target,
          readWrite: !spec.readOnly,
        });
        mounted.push(spec.source);
        if (!spec.noCopy) await this.volumes.copyUp(spec.source, await secureJoin(rootfs, spec.target));
        mounts.push(toOciMount(spec, dir));
      }
    } catch (err) {
      for (const name of mounted) await this.volumes.unmount(name, record.Id).catch(() => {});
      throw err;
    }
    return mounts;
  }

  async unmount(record: ContainerRecord): Promise<void> {
    for (const spec of specsOf(record)) {
      if (spec.type !== 'volume') continue;
      await this.volumes
        .unmount(spec.source, record.Id)
        .catch((err: unknown) =>
          this.log.warn('could not unmount a volume', { volume: spec.source, error: err }),
        );
    }
  }

  async release(record: ContainerRecord, options: { removeAnonymous: boolean }): Promise<void> {
    await this.unmount(record);
    for (const spec of specsOf(record)) {
      if (spec.type !== 'volume') continue;
      await this.volumes.removeUser(spec.source, record.Id).catch(() => {});
      if (!options.removeAnonymous) continue;
      const volume = this.volumes.list({ name: [spec.source] }).find((v) => v.name === spec.source);
      if (volume?.anonymous) {
        await this.volumes
          .remove(spec.source)
          .catch((err: unknown) =>
            this.log.warn('could not remove a volume', { volume: spec.source, error: err }),
          );
      }
    }
  }

  /** At daemon start: volume users and mounts of containers that are gone or stopped are dropped. */
  async reconcile(): Promise<void> {
    const records = this.containers().list();
    await this.volumes.reconcile({
      existing: records.map((r) => r.Id),
      running: records.filter((r) => r.State.Running).map((r) => r.Id),
    });
  }
}

function specsOf(record: ContainerRecord): MountSpec[] {
  return (record.MountSpecs ?? []) as unknown as MountSpec[];
}
