/**
 * The volume module's vocabulary. A *volume* is a named directory Berth
 * manages (`<data-root>/volumes/<name>/_data`); a *mount spec* is what
 * `-v`, `--mount` and `--tmpfs` ask for; an *OCI mount* is the entry the
 * runtime spec gets.
 */

/** The label Docker puts on volumes made for an image's VOLUME or a bare `-v /path`. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** A stored volume of the local driver. */
export interface VolumeRecord {
  name: string;
  driver: 'local';
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  /** Driver options: type, device, o (as `docker volume create -o`). */
  options: Record<string, string>;
  anonymous: boolean;
  /** Containers that reference the volume (it cannot be removed while any do). */
  users: string[];
  /** Running containers that have it mounted (a device is mounted while any do). */
  mountedBy: string[];
}

/** A volume as reported: the record plus where its data is on the host. */
export interface Volume extends VolumeRecord {
  mountpoint: string;
}

/** What `docker volume create` asks for; no name makes an anonymous volume. */
export interface VolumeCreateRequest {
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** Filters of `docker volume ls` / `GET /volumes`. */
export interface VolumeFilters {
  /** Substrings of the name. */
  name?: string[];
  /** "key" or "key=value". */
  label?: string[];
  driver?: string[];
  /** true: only volumes no container references. */
  dangling?: boolean;
}

/** Kinds of mounts a container can ask for. */
export type MountType = 'bind' | 'volume' | 'tmpfs';

/** Mount propagation of a bind mount (Docker's default is rprivate). */
export type BindPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** A parsed `-v`, `--mount` or `--tmpfs` request. */
export interface MountSpec {
  type: MountType;
  /** A host path for binds, a volume name (empty: anonymous) for volumes, empty for tmpfs. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly: boolean;
  /** Volumes: do not fill an empty volume from the image (`nocopy`, `volume-nocopy`). */
  noCopy?: boolean;
  /** Binds: propagation and `bind-nonrecursive`. */
  propagation?: BindPropagation;
  nonRecursive?: boolean;
  /** SELinux relabelling asked with z or Z; accepted and recorded, Berth does not relabel. */
  selinuxLabel?: 'z' | 'Z';
  /** Volumes created on the fly by `--mount`: volume-label, volume-opt, volume-driver. */
  volumeLabels?: Record<string, string>;
  volumeOptions?: Record<string, string>;
  volumeDriver?: string;
  /** tmpfs: size in bytes, mode bits, and raw options from `--tmpfs path:opts`. */
  tmpfsSize?: number;
  tmpfsMode?: number;
  tmpfsOptions?: string[];
}

/** A mount entry of an OCI runtime spec (config.json `mounts`). */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}
