import type { IdMap } from '../core/id-map.js';
import type { ContainerRecord } from './record.js';

/** Where a starting container's network namespace comes from, and its name resolution files. */
export interface NetworkSandbox {
  /**
   * `host`: the host's namespace; `private`: a new one from the runtime (loopback only);
   * a path: join it, `own` when it was made for this container (not another container's).
   */
  netns: 'host' | 'private' | { path: string; own?: boolean };
  /**
   * A user namespace that owns `netns` and that the container joins
   * (`userns-remap`), held until `release` (called once the runtime created the container).
   */
  userns?: { path: string; release(): Promise<void> };
  files: { hostname: string; hosts: string; resolvConf: string };
  /**
   * Settles when the endpoints exist on the host (the CNI ADD): the runtime may
   * create the container meanwhile (its namespace exists), but not start it.
   * Absent when there is nothing to wait for.
   */
  plumbed?: Promise<void>;
}

/** How a container is attached. */
export interface AttachOptions {
  /** The container runs in a user namespace with these mappings: its network namespace must be owned by it. */
  userns?: IdMap;
  /** An existing user namespace (by path) to make the network namespace in, instead of a new one. */
  joinUserns?: string;
}

/**
 * The container service's hook into networking, called along a container's
 * life. Implementations keep the record's NetworkSettings in Docker's shape;
 * the service saves the record afterwards.
 */
export interface ContainerNetworking {
  /** At create: checks the network mode and records the networks (and their endpoint settings) to join. */
  prepare(record: ContainerRecord, networkingConfig: unknown): Promise<void>;
  /** At start, before the spec is made: namespace, endpoints, published ports, hosts/resolv.conf/hostname. */
  attach(record: ContainerRecord, options?: AttachOptions): Promise<NetworkSandbox>;
  /** At exit or a failed start: endpoints detached, leases and host ports freed, namespace deleted. */
  detach(record: ContainerRecord): Promise<void>;
  /** At remove: nothing of the container may stay behind. */
  release(record: ContainerRecord): Promise<void>;
}
