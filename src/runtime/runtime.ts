import type { Readable, Writable } from 'node:stream';
import type { CgroupStats } from '../cgroups/stats.js';
import type { OciProcess, OciSpec } from '../containers/spec/oci.js';
import type { Mount } from '../snapshots/snapshotter.js';

/**
 * The runtime contract, after containerd's shim task API: a container is
 * created (its process exists but has not run the command), started,
 * signalled, waited for and deleted; exec sessions run more processes in
 * it. Implementations keep what they need on disk under the exec root, so a
 * fresh instance (after a daemon restart) can manage containers an earlier
 * one created; see {@link Runtime.list}.
 *
 * Lifecycle: `create` → (`attach`) → `start` → `wait` → `delete`. Attach
 * before start to see every byte of output. `delete` refuses a running
 * container unless forced.
 *
 * All methods reject with BerthError kinds: NotFound for an unknown id,
 * FailedPrecondition for a call the container's state forbids, AlreadyExists
 * for a duplicate id.
 */
export interface Runtime {
  /** The OCI runtime's name (runc, crun, or as configured). */
  readonly name: string;
  create(id: string, options: CreateOptions): Promise<CreatedContainer>;
  start(id: string): Promise<void>;
  state(id: string): Promise<ContainerState>;
  /** Sends a signal (number or name, "SIGTERM" or "TERM") to the container's init process. */
  kill(id: string, signal: number | string, options?: { all?: boolean }): Promise<void>;
  /** Resolves with the exit status once the container has exited (at once if it already has). */
  wait(id: string, signal?: AbortSignal): Promise<ExitStatus>;
  /** Removes the container from the runtime and its bundle; returns its exit status when it had one. */
  delete(id: string, options?: { force?: boolean }): Promise<ExitStatus | undefined>;
  exec(id: string, execId: string, options: ExecOptions): Promise<ExecSession>;
  /** Resizes the container's TTY, or an exec session's. */
  resize(id: string, size: TerminalSize, execId?: string): Promise<void>;
  /** Closes the container's stdin (EOF for the process), as `docker attach` does when its input ends. */
  closeStdin(id: string): Promise<void>;
  /**
   * Connects to the container's streams. With `after` (the container's create,
   * still under way) the connection is prepared at once and made when it resolves.
   */
  attach(id: string, streams?: AttachStreams, options?: AttachOptions): Promise<AttachSession>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /**
   * The cgroup counters of a running container. `pid`, the init PID the caller knows,
   * spares asking the OCI runtime for it (a process per call) when it is still the
   * container's.
   */
  stats(id: string, pid?: number): Promise<CgroupStats>;
  /** Every container of this runtime under the exec root, running or not: what a restarted daemon adopts. */
  list(): Promise<ContainerState[]>;
}

/**
 * An optional ability (check with {@link isRuntimeCleaner}): removing what
 * a crashed daemon left half-made. Call it at start-up, before creating.
 */
export interface RuntimeCleaner {
  /** Removes bundles whose create never finished (and their mounts and runtime state); returns their ids. */
  removeIncomplete(): Promise<string[]>;
}

/** True when `runtime` can remove half-made containers. */
export function isRuntimeCleaner(runtime: Runtime): runtime is Runtime & RuntimeCleaner {
  return typeof (runtime as Partial<RuntimeCleaner>).removeIncomplete === 'function';
}

/**
 * An optional ability (check with {@link isRuntimeUpdater}): changing a
 * running container's cgroup limits, as `docker update` does.
 */
export interface RuntimeUpdater {
  /** Applies `resources` (OCI `linux.resources`; absent fields stay as they are). */
  update(id: string, resources: Record<string, unknown>): Promise<void>;
}

/** True when `runtime` can change a running container's limits. */
export function isRuntimeUpdater(runtime: Runtime): runtime is Runtime & RuntimeUpdater {
  return typeof (runtime as Partial<RuntimeUpdater>).update === 'function';
}

/** What `create` needs. */
export interface CreateOptions {
  /** Written as the bundle's config.json; `root.path` is replaced when `rootfs` is given. */
  spec: OciSpec;
  /** Mounts that make the root filesystem (from a snapshotter); mounted at `<bundle>/rootfs`, unmounted by delete. */
  rootfs?: Mount[];
  /** Keep a pipe to the process's stdin (`docker run -i`). */
  stdin?: boolean;
  /** Close stdin once the first attached client detaches (Docker's StdinOnce); default true. */
  stdinOnce?: boolean;
  /** Where the monitor writes the container's output (k8s-file format); default `<bundle>/container.log`. */
  logPath?: string;
  /** Bytes the monitor writes before it starts a new log file (renamed over the old one). */
  logSizeMax?: number;
  /** `none` keeps no output at all; default k8s-file at `logPath`. */
  logDriver?: 'k8s-file' | 'none';
  /**
   * Whether the monitor fsyncs the log when the container exits, before it writes
   * the exit file (default true). An auto-removed container's log goes right after.
   */
  syncLogOnExit?: boolean;
  /** A name for the monitor's logs. */
  name?: string;
  /** A program the monitor runs when the container exits (conmon --exit-command). */
  exitCommand?: { path: string; args: string[] };
  /**
   * Called once the monitor's process is started, while the container is still
   * being created: other processes started from here do not delay the monitor.
   */
  onMonitorStarted?: () => void;
}

/** What `create` made. */
export interface CreatedContainer {
  /** The container's init process on the host. */
  pid: number;
  /** The monitor process that waits for it. */
  monitorPid: number;
  bundle: string;
  logPath: string;
}

/** How a container's process ended. */
export interface ExitStatus {
  /** The exit code, or 128 + signal number when killed by a signal (137 for SIGKILL); 255 when unknown. */
  exitCode: number;
  exitedAt: Date;
  /** The kernel's OOM killer killed a process of the container. */
  oomKilled: boolean;
}

/** The OCI runtime states (runtime.md#state); "stopped" includes exited. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped';

/** A container as the runtime sees it now. */
export interface ContainerState {
  id: string;
  status: ContainerStatus;
  /** The init pid; 0 once stopped. */
  pid: number;
  monitorPid: number;
  /** True while the monitor process lives (it outlives the daemon). */
  monitorAlive: boolean;
  bundle: string;
  logPath: string;
  terminal: boolean;
  createdAt: Date;
  exit?: ExitStatus;
}

/** A TTY size in rows and columns. */
export interface TerminalSize {
  height: number;
  width: number;
}

/** Which streams an attach carries; all by default. */
export interface AttachStreams {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/** How {@link Runtime.attach} connects. */
export interface AttachOptions {
  /** Connect once this resolves (a create under way); fail with its error if it rejects. */
  after?: Promise<unknown>;
}

/**
 * A live connection to a container's (or exec session's) standard streams.
 * With a TTY everything arrives on `stdout`. The streams end when the
 * process exits or `close` is called.
 */
export interface AttachSession {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Present when stdin was requested; ending it closes the process's stdin (unless stdinOnce was false). */
  readonly stdin: Writable | undefined;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;
  close(): void;
}

/** An exec request for the runtime: the process document and its stdio. */
export interface ExecOptions {
  /** The process to run (see containers/spec `execProcess`). */
  process: OciProcess;
  stdin?: boolean;
  /** Connect the session's streams before the process starts (else its output is discarded). */
  attach?: AttachStreams | false;
  /** Initial TTY size. */
  size?: TerminalSize;
}

/** A running exec session. */
export interface ExecSession {
  pid: number;
  /** The streams, when `attach` asked for them. */
  io: AttachSession | undefined;
  /** Resolves with the exit status of the exec'd process. */
  wait(): Promise<ExitStatus>;
}
