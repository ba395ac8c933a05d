import type { ContainerRecord } from './record.js';
import type { OciMount } from './spec/oci.js';

/**
 * The container service's hook into volumes and bind mounts. `prepare`
 * resolves `-v`, `--mount`, `--volumes-from` and the image's VOLUMEs into
 * the record (Mounts in Docker's shape); the others follow the container's life.
 */
export interface ContainerVolumes {
  /** At create: parses and checks the mounts, creates missing volumes and records the container as their user. */
  prepare(record: ContainerRecord): Promise<void>;
  /** At start: mounts volumes (copy-up from the image on first use) and returns the spec's mounts. */
  mount(record: ContainerRecord, rootfs: string): Promise<OciMount[]>;
  /** At exit: releases the container's volume mounts. */
  unmount(record: ContainerRecord): Promise<void>;
  /** At remove: drops the container as a user; with `removeAnonymous` (rm -v) its anonymous volumes go too. */
  release(record: ContainerRecord, options: { removeAnonymous: boolean }): Promise<void>;
}
