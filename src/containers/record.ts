import type { LegacyLink } from './links.js';
/**
 * A container as berthd keeps it: close to the Engine API's inspect shape so
 * that `inspect` is a projection, not a translation. Config and HostConfig
 * are the create request's, with defaults applied.
 */
export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** Go's zero time, which dockerd prints for "never". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

export type JsonObject = Record<string, unknown>;

export interface ContainerRecord {
  Id: string;
  /** Without the leading slash; the API adds it. */
  Name: string;
  Created: string;
  /** The reference the user asked for ("busybox"), shown as Config.Image and in ps. */
  ImageRef: string;
  /** The image ID (config digest). */
  Image: string;
  Path: string;
  Args: string[];
  Config: JsonObject;
  HostConfig: JsonObject;
  NetworkSettings: JsonObject;
  Mounts: JsonObject[];
  /** The resolved mounts behind Mounts (the volume hook's own shape), read again at each start. */
  MountSpecs?: JsonObject[];
  State: ContainerState;
  RestartCount: number;
  Driver: string;
  Platform: string;
  /** Which OCI runtime runs it. */
  Runtime: string;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  /** The snapshot key of its writable layer. */
  SnapshotKey: string;
  /** True when the user stopped it (for unless-stopped / restart on daemon start). */
  ManuallyStopped: boolean;
  /** Set while a commit has the container paused: a restart after a crash mid-commit thaws it. */
  PausedForCommit?: boolean;
  Labels: Record<string, string>;
  /** Legacy links to other containers (`--link`, default bridge only). */
  Links?: LegacyLink[];
}
