import { chown, mkdir, rmdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import {
  BerthError,
  conflict,
  ErrorKind,
  errnoCode,
  failedPrecondition,
  invalidArgument,
  isDiskFull,
  isKind,
  notModified,
} from '../core/errors.js';
import type { IdMap } from '../core/id-map.js';
import type { Logger } from '../core/logger.js';
import { reportSpan, traced } from '../core/spans.js';
import type { EventBus } from '../events/bus.js';
import type { ReferenceStore } from '../metadata/refs.js';
import { LogRotator } from '../runtime/logs/rotation.js';
import {
  type AttachSession,
  type AttachStreams,
  type ExitStatus,
  isRuntimeCleaner,
  type Runtime,
  type TerminalSize,
} from '../runtime/runtime.js';
import { mountAll, unmount, volatileMounts } from '../snapshots/mount.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import {
  type CreateBody,
  checkUnsupported,
  clearDropped,
  systemPathsOf,
  toSpecRequest,
} from './create-request.js';
import { ExecService } from './exec-service.js';
import { writeContainerFiles } from './files.js';
import { type HealthConfig, HealthMonitor, mergeHealthcheck } from './health.js';
import type { ImageResolver } from './image-resolver.js';
import { checkChildrenRunning, checkLinksAllowed, linkEnv, onDefaultBridge, resolveLinks } from './links.js';
import { type LogConfig, logRotationOf, monitorLogOptions, resolveLogConfig } from './log-config.js';
import { generateId, generateName, normalizeName } from './names.js';
import type { ContainerNetworking, NetworkSandbox } from './networking.js';
import { runProbe } from './probe.js';
import { type ContainerRecord, initialState } from './record.js';
import { checkRestartPolicy, policyRestarts, RestartScheduler, startsWithDaemon } from './restart-policy.js';
import { readFileInRoot } from './root-path.js';
import {
  cgroupnsDefault,
  checkRequest,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  generateSpec,
  type SpecHost,
} from './spec/index.js';
import type { ContainerStore } from './store.js';
import type { ContainerVolumes } from './volumes.js';
import { Waiters } from './waiters.js';

export interface ContainerServiceDeps {
  store: ContainerStore;
  runtimes: Map<string, Runtime>;
  defaultRuntime: string;
  snapshotter: Snapshotter;
  snapshotterName: string;
  refs: ReferenceStore;
  images: ImageResolver;
  events: EventBus;
  log: Logger;
  execRoot: string;
  specHost: SpecHost;
  /** Networks and name resolution files; without it containers get loopback only. */
  networking?: ContainerNetworking;
  /** Volumes and binds; without it only --tmpfs is mounted. */
  volumes?: ContainerVolumes;
  /** The daemon's log-driver and log-opts; json-file without options when not given. */
  logConfig?: LogConfig;
  /** `userns-remap`: each container gets a user namespace with these mappings, unless `--userns=host`. */
  idMap?: IdMap;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

/**
 * Containers: create from an image, start through the OCI runtime under
 * conmon, follow their exits, stop, kill, wait and remove — with Docker's
 * states, events and messages.
 */
export class ContainerService {
  private readonly waiters = new Waiters();
  /** Log rotation (max-file) of running containers, by id. */
  private readonly rotators = new Map<string, LogRotator>();
  /** Exit cleanups under way, by container ID. */
  private readonly exiting = new Map<string, Promise<void>>();
  /** Attaches made before start (docker run attaches first): connected between create and start. */
  private readonly pendingAttaches = new Map<
    string,
    { streams: AttachStreams; resolve: (s: AttachSession) => void; reject: (e: unknown) => void }[]
  >();

  /** Waiting restarts and their back-off (restart policies). */
  readonly restarts = new RestartScheduler();
  /** Health checks of running containers. */
  readonly health: HealthMonitor;

  /** `docker exec` instances of this service's containers. */
  readonly execs: ExecService;

  constructor(readonly deps: ContainerServiceDeps) {
    this.execs = new ExecService({
      store: deps.store,
      runtimeOf: (record) => this.runtimeOf(record),
      rootfsOf: (id) => this.rootfsPath(id),
      events: deps.events,
      log: deps.log,
      boundingCapabilities: deps.specHost.boundingCapabilities,
    });
    this.health = new HealthMonitor({
      probe: (record, cmd, timeoutMs, execId) =>
        runProbe(this.runtimeOf(record), record.Id, cmd, timeoutMs, execId),
      save: (record) => this.store.save(record),
      event: (record, action, extra) => this.event(record, action, extra),
    });
  }

  get store(): ContainerStore {
    return this.deps.store;
  }

  runtimeOf(record: ContainerRecord): Runtime {
    const runtime = this.deps.runtimes.get(record.Runtime);
    if (!runtime) throw failedPrecondition(`unknown runtime specified ${record.Runtime}`);
    return runtime;
  }

  rootfsPath(id: string): string {
    return join(this.deps.execRoot, 'rootfs', id);
  }

  event(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.deps.events.publish({
      type: 'container',
      action,
      id: record.Id,
      attributes: { ...record.Labels, image: record.ImageRef, name: record.Name, ...extra },
    });
  }

  async create(body: CreateBody, name: string | undefined): Promise<{ Id: string; Warnings: string[] }> {
    if (!body.Image) throw invalidArgument('No command specified');
    const finalName = name ? normalizeName(name) : this.freeName();
    if (this.store.nameInUse(finalName)) {
      const holder = this.store.nameInUse(finalName);
      throw conflict(
        `Conflict. The container name "/${finalName}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const runtimeName = body.HostConfig?.Runtime || this.deps.defaultRuntime;
    if (!this.deps.runtimes.has(runtimeName))
      throw invalidArgument(`unknown or invalid runtime name: ${runtimeName}`);
    checkRestartPolicy(body.HostConfig?.RestartPolicy, Boolean(body.HostConfig?.AutoRemove));
    this.checkUsernsConflicts(body);
    checkUnsupported(body.HostConfig ?? {});
    checkLinksAllowed(body.HostConfig ?? {});
    // Namespaces joined from other containers are resolved at start: no pid is needed to check.
    const { warnings, dropped } = checkRequest(
      toSpecRequest('0'.repeat(64), body, () => 0),
      this.deps.specHost,
    );
    const logConfig = resolveLogConfig(
      body.HostConfig?.LogConfig as Partial<LogConfig> | undefined,
      this.deps.logConfig ?? { Type: 'json-file', Config: {} },
    );
    const imageRef = body.Image;
    const image = await traced('create.image', () => this.deps.images.resolve(imageRef));
    const id = generateId();
    const snapshotKey = `container-${id}`;
    // An auto-removed container's layer: its record is saved without fsync, as the container's is.
    const durable = !body.HostConfig?.AutoRemove;
    await traced('create.snapshot', () =>
      this.deps.snapshotter.prepare(snapshotKey, image.topLayer, { durable }),
    );
    this.deps.refs.addSnapshot(
      { kind: 'container', id },
      { snapshotter: this.deps.snapshotterName, key: snapshotKey },
    );
    try {
      const record = this.newRecord(id, finalName, body, image.id, image.config, runtimeName, snapshotKey);
      clearDropped(record.HostConfig, dropped);
      const links = body.HostConfig?.Links ?? [];
      if (links.length > 0 && onDefaultBridge(body.HostConfig ?? {}))
        record.Links = resolveLinks(links, this.store);
      (record.HostConfig as { LogConfig?: LogConfig }).LogConfig = logConfig;
      if (logConfig.Type === 'none') record.LogPath = '';
      await traced('create.network', async () =>
        this.deps.networking?.prepare(record, body.NetworkingConfig),
      );
      await this.deps.volumes?.prepare(record);
      await traced('create.record', () => this.store.create(record)).catch(async (err: unknown) => {
        await this.deps.volumes?.release(record, { removeAnonymous: true }).catch(() => {});
        throw err;
      });
      this.event(record, 'create');
      return { Id: id, Warnings: warnings };
    } catch (err) {
      await this.deps.snapshotter.remove(snapshotKey).catch(() => {});
      this.deps.refs.deleteOwner({ kind: 'container', id });
      throw err;
    }
  }

  /** The user namespace a container of a remapped daemon gets; none with `--userns=host`. */
  private remappedUserns(record: { HostConfig?: unknown }): IdMap | undefined {
    const mode = (record.HostConfig as { UsernsMode?: string } | undefined)?.UsernsMode ?? '';
    return mode === 'host' ? undefined : this.deps.idMap;
  }

  /**
   * The user namespace of the container whose IPC or PID namespace this one
   * joins: namespaces are shared within one user namespace (dockerd joins it too).
   */
  private joinedUserns(record: ContainerRecord): string | undefined {
    const h = record.HostConfig as { IpcMode?: string; PidMode?: string };
    const other = [h.IpcMode, h.PidMode].find((mode) => mode?.startsWith('container:'));
    if (!other) return undefined;
    const ref = other.slice('container:'.length);
    // A --userns=host container has no user namespace of its own to join.
    if (!this.remappedUserns(this.store.get(ref))) return undefined;
    return `/proc/${this.pidOf(ref)}/ns/user`;
  }

  /** dockerd's conflicts between a remapped container and the host's namespaces. */
  private checkUsernsConflicts(body: CreateBody): void {
    if (!this.remappedUserns(body)) return;
    const h = body.HostConfig ?? {};
    if (h.Privileged) {
      throw invalidArgument(
        'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode',
      );
    }
    if (h.NetworkMode === 'host')
      throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
    if (h.PidMode === 'host')
      throw invalidArgument('cannot share the host PID namespace when user namespaces are enabled');
  }

  /**
   * Lets the remapped root reach and own the container's own files
   * (hostname, hosts, resolv.conf), as dockerd does: the records directory
   * and the container's directory are passable by its group.
   */
  private async shareFilesWithRemappedRoot(record: ContainerRecord, files: string[]): Promise<void> {
    const idMap = this.deps.idMap;
    if (!idMap) return;
    const { uid, gid } = idMap.root;
    await chown(this.store.root, 0, gid);
    await chown(this.store.dir(record.Id), 0, gid);
    for (const file of files) await chown(file, uid, gid);
  }

  private freeName(): string {
    for (let i = 0; ; i++) {
      const candidate = generateName(i > 3 ? 1 : 0);
      if (!this.store.nameInUse(candidate)) return candidate;
    }
  }

  private newRecord(
    id: string,
    name: string,
    body: CreateBody,
    imageId: string,
    imageConfig: Record<string, unknown>,
    runtime: string,
    snapshotKey: string,
  ): ContainerRecord {
    const dir = this.store.dir(id);
    const ic = imageConfig as {
      Env?: string[];
      Cmd?: string[];
      Entrypoint?: string[];
      WorkingDir?: string;
      User?: string;
      Labels?: Record<string, string>;
      ExposedPorts?: Record<string, unknown>;
      Volumes?: Record<string, unknown>;
      StopSignal?: string;
      Healthcheck?: unknown;
    };
    const entrypoint =
      body.Entrypoint === undefined || body.Entrypoint === null ? (ic.Entrypoint ?? null) : body.Entrypoint;
    const cmd =
      body.Cmd === undefined || body.Cmd === null ? (body.Entrypoint ? null : (ic.Cmd ?? null)) : body.Cmd;
    const labels = { ...(ic.Labels ?? {}), ...(body.Labels ?? {}) };
    // moby's merge: the request's variables, then the image's it does not set.
    const envKeys = new Set((body.Env ?? []).map((e) => e.split('=')[0]));
    const env = [...(body.Env ?? []), ...(ic.Env ?? []).filter((e) => !envKeys.has(e.split('=')[0]))];
    const config = {
      Hostname: body.Hostname || id.slice(0, 12),
      Domainname: body.Domainname ?? '',
      User: body.User || ic.User || '',
      AttachStdin: body.AttachStdin ?? false,
      AttachStdout: body.AttachStdout ?? false,
      AttachStderr: body.AttachStderr ?? false,
      ...(body.ExposedPorts || ic.ExposedPorts
        ? { ExposedPorts: { ...(ic.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) } }
        : {}),
      Tty: body.Tty ?? false,
      OpenStdin: body.OpenStdin ?? false,
      StdinOnce: body.StdinOnce ?? false,
      Env: env,
      Cmd: typeof cmd === 'string' ? [cmd] : cmd,
      ...healthcheckField(
        body.Healthcheck as HealthConfig | undefined,
        ic.Healthcheck as HealthConfig | undefined,
      ),
      Image: body.Image,
      // moby's merge: the image's volumes, with the request's added when it names any.
      Volumes:
        body.Volumes && Object.keys(body.Volumes).length > 0
          ? { ...(ic.Volumes ?? {}), ...body.Volumes }
          : (ic.Volumes ?? null),
      WorkingDir: body.WorkingDir || ic.WorkingDir || '',
      Entrypoint: typeof entrypoint === 'string' ? [entrypoint] : entrypoint,
      OnBuild: null,
      Labels: labels,
      ...(body.StopSignal || ic.StopSignal ? { StopSignal: body.StopSignal || ic.StopSignal } : {}),
      ...(body.StopTimeout !== undefined && body.StopTimeout !== null
        ? { StopTimeout: body.StopTimeout }
        : {}),
    };
    const hostConfig = adaptHostConfig(
      {
        NetworkMode: 'default',
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        AutoRemove: false,
        ...(body.HostConfig ?? {}),
        Runtime: runtime,
      },
      this.deps.specHost,
    );
    const words = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    return {
      Id: id,
      Name: name,
      Created: new Date().toISOString(),
      ImageRef: body.Image!,
      Image: imageId,
      Path: words[0] ?? '',
      Args: words.slice(1),
      Config: config,
      HostConfig: hostConfig,
      NetworkSettings: { Bridge: '', SandboxID: '', Ports: {}, Networks: {} },
      Mounts: [],
      State: initialState(),
      RestartCount: 0,
      Driver: 'overlay2',
      Platform: 'linux',
      Runtime: runtime,
      LogPath: join(dir, 'container.log'),
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      SnapshotKey: snapshotKey,
      ManuallyStopped: false,
      Labels: labels,
    };
  }

  /**
   * Mounts the rootfs, writes the spec and starts the container under the
   * monitor. A start by the user resets RestartCount, as dockerd's does;
   * the restart policy's own starts (`auto`) count up.
   */
  /**
   * The exit of a container is recorded (not Running) before its cleanup (network,
   * runtime state, rootfs mount) is done; a start or rm in that window waits for the
   * cleanup, which would otherwise unmount the rootfs the new start just mounted.
   */
  private async exitSettled(id: string): Promise<void> {
    await this.exiting.get(id)?.catch(() => {});
  }

  async start(ref: string, options: { auto?: boolean } = {}): Promise<void> {
    await this.exitSettled(this.store.get(ref).Id);
    const record = this.store.get(ref);
    if (record.State.Running && !(options.auto && record.State.Restarting))
      throw notModified('container already started');
    if (!options.auto) {
      this.restarts.cancel(record.Id);
      record.RestartCount = 0;
    }
    if (record.State.Status === 'removing')
      throw conflict('container is marked for removal and cannot be started');
    const runtime = this.runtimeOf(record);
    checkChildrenRunning(record, this.store);
    const rootfs = this.rootfsPath(record.Id);
    await mkdir(rootfs, { recursive: true });
    // The network is made while the rootfs is mounted: neither needs the other.
    const userns = this.remappedUserns(record);
    const joinedUserns = userns ? this.joinedUserns(record) : undefined;
    const sandboxed = traced('start.network', () => this.networkSandbox(record, userns, joinedUserns));
    sandboxed.catch(() => {}); // awaited below, or settled before the rollback
    // What a crashed start may have left of the runtime's container goes meanwhile too.
    const cleared = traced('start.runtime-clear', () =>
      runtime.delete(record.Id, { force: true }).catch(() => {}),
    );
    // The log's keeper (max-file), which must be there before the monitor opens its FIFO.
    const logsPrepared = this.prepareLogRotation(record);
    logsPrepared.catch(() => {}); // awaited below, or settled before the rollback
    try {
      await traced('start.mount', async () => {
        const mounts = await this.deps.snapshotter.mounts(record.SnapshotKey);
        // A --rm container's layer goes at its exit: its unmount need not sync it.
        await mountAll(this.autoRemoves(record) ? volatileMounts(mounts) : mounts, rootfs);
      });
      const body = { ...record.Config, HostConfig: record.HostConfig } as CreateBody;
      const sandbox = await traced('start.network-wait', () => sandboxed);
      const files = sandbox.files;
      const ipcMode = (record.HostConfig as { IpcMode?: string }).IpcMode ?? '';
      if (ipcMode.startsWith('container:')) this.checkIpcDonor(ipcMode.slice('container:'.length));
      const request = toSpecRequest(record.Id, body, (other) => this.pidOf(other));
      if (userns) {
        request.userns = {
          uidMappings: [...userns.uids],
          gidMappings: [...userns.gids],
          ...(sandbox.userns ? { path: sandbox.userns.path } : joinedUserns ? { path: joinedUserns } : {}),
        };
        await this.shareFilesWithRemappedRoot(
          record,
          [files.hostname, files.hosts, files.resolvConf].filter((f): f is string => Boolean(f)),
        );
      }
      if (this.deps.networking) request.network = sandbox.netns;
      if (this.deps.volumes) request.mounts = await this.deps.volumes.mount(record, rootfs);
      const [passwd, group] = await Promise.all([
        readFileInRoot(rootfs, '/etc/passwd'),
        readFileInRoot(rootfs, '/etc/group'),
      ]);
      const ic = record.Config as {
        Entrypoint?: string[] | null;
        Cmd?: string[] | null;
        Env?: string[];
        WorkingDir?: string;
        User?: string;
      };
      // The record already holds the merged command, env and workdir: no image defaults on top.
      request.entrypoint = ic.Entrypoint ?? [];
      request.cmd = ic.Cmd ?? [];
      request.env = ic.Env ?? [];
      request.linkedEnv = linkEnv(record, this.store);
      const specStarted = performance.now();
      const generated = await generateSpec(
        {
          container: request,
          image: {
            entrypoint: null,
            cmd: null,
            env: [],
            workingDir: ic.WorkingDir ?? '',
            user: ic.User ?? '',
          },
          files: {
            rootfs,
            hostnamePath: files.hostname,
            hostsPath: files.hosts,
            resolvConfPath: files.resolvConf,
          },
          passwd,
          group,
        },
        this.deps.specHost,
      );
      reportSpan('start.spec', specStarted);
      await cleared;
      // Clients that attached before start (docker run) get their relays started alongside the
      // create, once its monitor is started (starting a process holds the daemon up a moment).
      let connectAttaches = () => {};
      await logsPrepared;
      const creating = traced('start.runtime-create', () =>
        runtime.create(record.Id, {
          onMonitorStarted: () => connectAttaches(),
          spec: generated.spec,
          stdin: Boolean(record.Config.OpenStdin),
          // A TTY's stdin stays open when a client detaches (dockerd closes it only without a TTY).
          stdinOnce: Boolean(record.Config.StdinOnce) && !record.Config.Tty,
          ...(record.LogPath ? { logPath: record.LogPath } : {}),
          ...monitorLogOptions(
            (record.HostConfig as { LogConfig?: LogConfig }).LogConfig ?? { Type: 'json-file', Config: {} },
            record.LogPath,
          ),
          name: record.Name,
          // Its log is removed right after the exit: no fsync of it on the way to the exit file.
          ...((record.HostConfig as { AutoRemove?: boolean }).AutoRemove ? { syncLogOnExit: false } : {}),
        }),
      );
      const ready = Promise.all([creating, sandbox.plumbed]);
      const attached = new Promise<void>((resolve) => {
        let connecting: Promise<void> | undefined;
        connectAttaches = () => {
          connecting ??= this.connectPendingAttaches(record.Id, runtime, ready);
          resolve(connecting);
        };
        // A create that fails before its monitor starts.
        void ready.catch(() => {}).finally(connectAttaches);
      });
      // The endpoint's plumbing (CNI ADD) ran alongside; the container may start only once it is done.
      const [createdResult, plumbResult] = await Promise.allSettled([creating, sandbox.plumbed]);
      if (plumbResult.status === 'rejected') {
        if (createdResult.status === 'fulfilled')
          await runtime.delete(record.Id, { force: true }).catch(() => {});
        throw plumbResult.reason;
      }
      if (createdResult.status === 'rejected') throw createdResult.reason;
      const created = createdResult.value;
      // The container is in its user namespace now: whatever held it open may go.
      await (await sandboxed).userns?.release();
      await traced('start.attach', async () => {
        await attached;
        // And those that came while it was being created.
        await this.connectPendingAttaches(record.Id, runtime, Promise.resolve());
      });
      const started = {
        Status: 'running' as const,
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: created.pid,
        ExitCode: 0,
        Error: '',
        StartedAt: new Date().toISOString(),
      };
      // The record is saved as running while the runtime starts the process, not after: a
      // crash before both are done finds a running record of a container not running, which
      // restore() ends as exited (or a created record of one running, which it removes). The
      // daemon's own copy says running only once the start succeeded.
      const [startResult, saveResult] = await Promise.allSettled([
        traced('start.runtime-start', () => runtime.start(record.Id)),
        traced('start.record', () =>
          this.store.save({ ...record, State: { ...record.State, ...started }, ManuallyStopped: false }),
        ),
      ]);
      if (startResult.status === 'rejected') throw startResult.reason;
      Object.assign(record.State, started);
      record.ManuallyStopped = false;
      this.health.start(record);
      // The container runs now, whatever happened to its record: a save that failed (a full
      // disk) is logged, as dockerd does, not turned into a failed start that would leave
      // a running process nobody follows. A restart of berthd reconciles with the runtime.
      if (saveResult.status === 'rejected')
        this.deps.log.error('could not record a container start', {
          id: record.Id,
          error: saveResult.reason,
        });
      this.event(record, 'start');
      this.follow(record, runtime);
    } catch (err) {
      await cleared;
      await logsPrepared.catch(() => {});
      await this.stopRotatingLogs(record.Id).catch(() => {});
      await (await sandboxed.catch(() => undefined))?.userns?.release();
      await this.deps.networking?.detach(record).catch(() => {});
      await this.deps.volumes?.unmount(record).catch(() => {});
      await unmount(rootfs).catch(() => {});
      record.State.Error = err instanceof Error ? err.message : String(err);
      record.State.ExitCode = startFailureExitCode(record.State.Error, record.Path);
      await this.store.save(record).catch(() => {});
      // dockerd removes an AutoRemove container whose start failed (docker run --rm waits for that).
      if ((record.HostConfig as { AutoRemove?: boolean }).AutoRemove) {
        await this.remove(record.Id, { force: true }).catch(() => {});
      }
      throw err;
    }
  }

  /** The namespace and files to start with: from networking, or loopback only with generated files. */
  private async networkSandbox(
    record: ContainerRecord,
    userns: IdMap | undefined,
    joinedUserns: string | undefined,
  ): Promise<NetworkSandbox> {
    if (this.deps.networking)
      return this.deps.networking.attach(record, {
        ...(userns ? { userns } : {}),
        ...(joinedUserns ? { joinUserns: joinedUserns } : {}),
      });
    const h = record.HostConfig as {
      ExtraHosts?: string[];
      Dns?: string[];
      DnsSearch?: string[];
      DnsOptions?: string[];
      NetworkMode?: string;
    };
    const files = await writeContainerFiles(this.store.dir(record.Id), {
      hostname: String(record.Config.Hostname),
      extraHosts: h.ExtraHosts ?? [],
      dns: h.Dns ?? [],
      dnsSearch: h.DnsSearch ?? [],
      dnsOptions: h.DnsOptions ?? [],
      hostNetwork: h.NetworkMode === 'host',
    });
    return { netns: 'private', files };
  }

  /**
   * dockerd's getIpcContainer: only a container made `shareable` (or on the
   * host's IPC namespace) lends its IPC namespace; `private` is the default.
   */
  private checkIpcDonor(ref: string): void {
    const donor = this.store.get(ref);
    const mode = (donor.HostConfig as { IpcMode?: string }).IpcMode;
    if (donor.State.Running && mode !== 'shareable' && mode !== 'host')
      throw conflict(
        `can't join IPC of container ${donor.Id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`,
      );
  }

  private pidOf(ref: string): number {
    const other = this.store.get(ref);
    if (!other.State.Running) throw conflict(`cannot join namespaces of a stopped container ${ref}`);
    return other.State.Pid;
  }

  /** Watches for the container's exit, records it, cleans up and honours AutoRemove. */
  follow(record: ContainerRecord, runtime: Runtime): void {
    this.rotateLogs(record);
    runtime
      .wait(record.Id)
      .then((status) => {
        const cleanup = this.onExit(record, runtime, status);
        this.exiting.set(record.Id, cleanup);
        const forget = () => {
          if (this.exiting.get(record.Id) === cleanup) this.exiting.delete(record.Id);
        };
        cleanup.then(forget, forget);
        return cleanup;
      })
      .catch((err: unknown) =>
        this.deps.log.error('lost track of a container', { id: record.Id, error: err }),
      );
  }

  /** A rotator for a container with a max-size (with one file, it keeps conmon's next file ready); undefined for the others. */
  private logRotatorOf(record: ContainerRecord): LogRotator | undefined {
    const config = (record.HostConfig as { LogConfig?: LogConfig }).LogConfig;
    const rotation = config && logRotationOf(config);
    if (!rotation || !record.LogPath) return;
    return new LogRotator({
      ...rotation,
      path: record.LogPath,
      onError: (err) => this.deps.log.warn('log rotation failed', { id: record.Id, error: err }),
    });
  }

  /** Before the monitor starts: the keeper that writes and rotates its log (max-file), or conmon's ready file. */
  private async prepareLogRotation(record: ContainerRecord): Promise<void> {
    const rotator = this.logRotatorOf(record);
    if (!rotator) return;
    await this.rotators.get(record.Id)?.stop();
    this.rotators.set(record.Id, rotator);
    await rotator.prepare();
  }

  /** Rotates the log of a running container: the one prepared at its start, or a new one (adopted at restore). */
  private rotateLogs(record: ContainerRecord): void {
    let rotator = this.rotators.get(record.Id);
    if (!rotator || rotator.started) {
      void rotator?.stop();
      rotator = this.logRotatorOf(record);
      if (!rotator) return;
      this.rotators.set(record.Id, rotator);
    }
    rotator.start();
  }

  /** At daemon shutdown: stops watching logs; the keepers (or conmon) keep them bounded meanwhile. */
  async detachLogRotation(): Promise<void> {
    const rotators = [...this.rotators.values()];
    this.rotators.clear();
    await Promise.all(rotators.map((r) => r.detach()));
  }

  private async stopRotatingLogs(id: string): Promise<void> {
    const rotator = this.rotators.get(id);
    this.rotators.delete(id);
    await rotator?.stop();
  }

  private async onExit(record: ContainerRecord, runtime: Runtime, status: ExitStatus): Promise<void> {
    this.health.exited(record);
    const restart =
      record.State.Status !== 'removing' &&
      policyRestarts(checkRestartPolicy(record.HostConfig.RestartPolicy, false), {
        exitCode: status.exitCode,
        manuallyStopped: record.ManuallyStopped,
        restartCount: record.RestartCount,
      });
    const ranForMs = status.exitedAt.getTime() - Date.parse(record.State.StartedAt);
    // dockerd counts a restarting container as running: stop, rm and wait treat it so.
    Object.assign(record.State, {
      Status: restart ? 'restarting' : 'exited',
      Running: restart,
      Restarting: restart,
      Paused: false,
      Pid: 0,
      ExitCode: status.exitCode,
      OOMKilled: status.oomKilled,
      FinishedAt: status.exitedAt.toISOString(),
    });
    const autoRemove = !restart && this.autoRemoves(record);
    if (restart) record.RestartCount++;
    // dockerd's order: die, then the network disconnects and volume unmounts.
    if (status.oomKilled) this.event(record, 'oom');
    this.event(record, 'die', { exitCode: String(status.exitCode) });
    // The network, the volumes and the runtime's state go independently, side by side.
    const teardownStarted = performance.now();
    // An auto-removed container is marked as removing (saved) while it is torn down, as
    // remove() does before its teardown: a crash from here on finishes the removal at start.
    const markedRemoving = autoRemove ? this.markRemoving(record) : undefined;
    const unmountRootfs = () =>
      traced('exit.unmount', () => unmount(this.rootfsPath(record.Id))).catch(() => {});
    const runtimeDeleted = traced('exit.runtime', () => runtime.delete(record.Id, { force: true })).then(
      () => {},
      () => {},
    );
    // The monitor is gone once delete returns (it waits for it): nothing writes the log any more.
    const logsSettled = runtimeDeleted.then(() => this.stopRotatingLogs(record.Id)).catch(() => {});
    // No process is left to use the rootfs. A container that may start again
    // unmounts it only after the runtime let go (a start right after must not
    // race with this); an auto-removed one does not wait.
    const rootfsFreed = autoRemove ? unmountRootfs() : runtimeDeleted.then(unmountRootfs);
    // An auto-removed container's snapshot record goes alongside the teardown (its files after the unmount).
    const snapshotRemoved = autoRemove
      ? this.removeSnapshot(record, rootfsFreed, { durable: false })
      : undefined;
    // The disconnects come before the volume unmounts, in dockerd's order of events.
    const detached = (async () => {
      await this.deps.networking
        ?.detach(record)
        .catch((err: unknown) =>
          this.deps.log.warn('could not disconnect a container', { id: record.Id, error: err }),
        );
      await this.deps.volumes?.unmount(record);
    })();
    await Promise.all([detached, rootfsFreed, markedRemoving, autoRemove ? undefined : logsSettled]);
    reportSpan('exit.teardown', teardownStarted);
    // An AutoRemove container is saved once, as removing (see remove), not first as exited too.
    // A record that cannot be written (a full disk) must not keep waiters and attached
    // clients hanging: the exit is kept in memory, as dockerd does when its checkpoint fails,
    // and a restart of berthd finds the container dead anyway.
    if (!autoRemove)
      await traced('exit.record', () => this.store.save(record)).catch((err: unknown) =>
        this.deps.log.error('could not record a container exit', { id: record.Id, error: err }),
      );
    this.waiters.exited(record.Id, status.exitCode);
    if (restart) {
      void this.restartLater(record, ranForMs);
      return;
    }
    if (autoRemove) {
      // --rm removes the anonymous volumes too, as dockerd does.
      await traced('rm.destroy', () =>
        this.destroy(record, true, { runtimeDeleted, rootfsFreed, snapshotRemoved }),
      ).catch((err: unknown) => {
        this.deps.log.warn('auto-remove failed', { id: record.Id, error: err });
        // `docker run --rm` waits for the removal: it must not wait forever for one that failed.
        this.waiters.removed(record.Id, status.exitCode);
      });
    }
  }

  /** Removes a container's snapshot: its record at once, its files once `released` (the unmount) is done. */
  private removeSnapshot(
    record: ContainerRecord,
    released: Promise<void>,
    options: { durable?: boolean } = {},
  ): Promise<void> {
    return traced('rm.snapshot', () =>
      this.freeingLogSpace(record, () =>
        this.deps.snapshotter.remove(record.SnapshotKey, { released, ...options }),
      ),
    ).catch((err: unknown) =>
      this.deps.log.warn('could not remove container snapshot', { id: record.Id, error: err }),
    );
  }

  /** Marks a container as being removed and saves that (see removeSettled). */
  private async markRemoving(record: ContainerRecord): Promise<void> {
    record.State.Status = 'removing';
    // On a full disk the marker cannot be written; the removal (which frees space) goes on.
    await traced('rm.record', () => this.freeingLogSpace(record, () => this.store.save(record))).catch(
      (err: unknown) =>
        this.deps.log.warn('could not mark a container as removing', { id: record.Id, error: err }),
    );
  }

  /** Starts a container again after the policy's back-off, unless a stop or rm cancels the wait. */
  private async restartLater(record: ContainerRecord, ranForMs: number): Promise<void> {
    const go = await this.restarts.wait(record.Id, this.restarts.nextDelay(record.Id, ranForMs));
    if (!go || !this.store.find(record.Id)) return;
    try {
      await this.start(record.Id, { auto: true });
    } catch (err) {
      this.deps.log.warn('restart failed', { id: record.Id, error: err });
      await this.settleStopped(record);
    }
  }

  /** A restarting container whose restart will not happen is simply exited. */
  private async settleStopped(record: ContainerRecord): Promise<void> {
    if (!record.State.Restarting) return;
    Object.assign(record.State, { Status: 'exited', Running: false, Restarting: false });
    await this.store.save(record);
    this.waiters.exited(record.Id, record.State.ExitCode);
  }

  /** Containers being stopped by a restart: their exit does not remove them (AutoRemove). */
  private readonly manualRestarts = new Set<string>();

  /** Whether the container is removed when it exits (--rm), which a restart suspends, as dockerd does. */
  private autoRemoves(record: ContainerRecord): boolean {
    return (
      Boolean((record.HostConfig as { AutoRemove?: boolean }).AutoRemove) &&
      !this.manualRestarts.has(record.Id)
    );
  }

  /** Docker's restart: stop (if running), start, and a restart event; a --rm container stays. */
  async restart(ref: string, timeoutSeconds?: number): Promise<void> {
    const record = this.store.get(ref);
    this.manualRestarts.add(record.Id);
    try {
      await this.stop(record.Id, timeoutSeconds).catch(() => {});
    } finally {
      this.manualRestarts.delete(record.Id);
    }
    await this.start(record.Id);
    this.event(record, 'restart');
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const record = this.store.get(ref);
    if (!record.State.Running)
      throw conflict(`Cannot kill container: ${ref}: Container ${record.Id} is not running`);
    const name = /^\d+$/.test(signal)
      ? signal
      : signal.toUpperCase().startsWith('SIG')
        ? signal.toUpperCase()
        : `SIG${signal.toUpperCase()}`;
    if (!/^\d+$/.test(name) && !(name in osConstants.signals))
      throw invalidArgument(`Invalid signal: ${signal}`);
    // dockerd's killWithSignal: SIGKILL or the stop signal means "exit on next", no restart.
    const stopSignal = String(record.Config.StopSignal ?? 'SIGTERM');
    const final = name === 'SIGKILL' || name === stopSignal || name === '9';
    if (final) record.ManuallyStopped = true;
    if (record.State.Restarting) {
      // No process between two runs: a final signal cancels the restart, others do nothing.
      if (final) {
        this.restarts.cancel(record.Id);
        await this.settleStopped(record);
      }
      return;
    }
    await this.runtimeOf(record).kill(record.Id, /^\d+$/.test(name) ? Number(name) : name);
    // A frozen process cannot act on its stop signal: thaw it, as dockerd does for stop and SIGKILL.
    if (record.State.Paused && final) {
      await this.runtimeOf(record)
        .resume(record.Id)
        .catch(() => {});
      Object.assign(record.State, { Paused: false, Status: 'running' });
    }
    this.event(record, 'kill', { signal: String(SIGNALS[name] ?? name) });
  }

  /** Docker's stop: the stop signal, then SIGKILL after the timeout (default 10 s). */
  async stop(ref: string, timeoutSeconds?: number, signal?: string): Promise<void> {
    const record = this.store.get(ref);
    if (!record.State.Running) throw notModified('container already stopped');
    record.ManuallyStopped = true;
    if (record.State.Restarting) {
      // Between two runs there is no process: cancelling the restart is the stop.
      this.restarts.cancel(record.Id);
      await this.settleStopped(record);
      this.event(record, 'stop');
      return;
    }
    const runtime = this.runtimeOf(record);
    const stopSignal = signal || String(record.Config.StopSignal ?? 'SIGTERM');
    const timeout = timeoutSeconds ?? Number(record.Config.StopTimeout ?? 10);
    const exited = this.waiters.wait(record.Id, 'not-running', () => record.State.Running);
    await this.kill(record.Id, stopSignal).catch((err: unknown) => {
      if (!isKind(err, ErrorKind.Conflict)) throw err;
    });
    const finished =
      timeout < 0
        ? await exited.then(() => true)
        : await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
    // A container that exited just as the timeout fell is no longer Running while its
    // exit is still being cleaned up: stop returns only once that is done too.
    if (!finished) {
      if (record.State.Running) await runtime.kill(record.Id, 'SIGKILL').catch(() => {});
      await exited;
    }
    this.event(record, 'stop');
  }

  /** POST /containers/{id}/wait: resolves with the exit code for the condition asked. */
  async wait(ref: string, condition: string, signal?: AbortSignal): Promise<number> {
    const record = this.store.get(ref);
    const cond = condition || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(cond))
      throw invalidArgument(`invalid condition: "${cond}"`);
    return this.waiters.wait(
      record.Id,
      cond as 'not-running',
      () => record.State.Running || record.State.Status === 'created',
      signal,
      () => record.State.ExitCode,
    );
  }

  /** Docker's rm; `volumes` (rm -v) removes the container's anonymous volumes too. */
  /** `rm --link /parent/alias`: the parent forgets the link (dockerd's rmLink); both containers stay. */
  async removeLink(ref: string): Promise<void> {
    this.store.get(ref);
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const slash = name.lastIndexOf('/');
    // dockerd fails these as system errors (500).
    if (slash === 0)
      throw new BerthError(
        ErrorKind.Internal,
        'Conflict, cannot remove the default link name of the container',
      );
    const parent = this.store.find(name.slice(0, slash));
    if (!parent)
      throw new BerthError(
        ErrorKind.Internal,
        `Cannot get parent ${name.slice(0, slash)} for link name ${name}`,
      );
    parent.Links = (parent.Links ?? []).filter((link) => link.Alias !== name.slice(slash + 1));
    await this.store.save(parent);
  }

  async remove(ref: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.exitSettled(this.store.get(ref).Id);
    return this.removeSettled(ref, options);
  }

  /** remove(), once any exit cleanup is done (an auto-remove goes straight to destroy). */
  private async removeSettled(ref: string, options: { force?: boolean; volumes?: boolean }): Promise<void> {
    const record = this.store.get(ref);
    if (record.State.Restarting) {
      if (!options.force)
        throw conflict(
          `You cannot remove a restarting container ${record.Id}. Stop the container before attempting removal or force remove`,
        );
      this.restarts.cancel(record.Id);
      await this.settleStopped(record);
    }
    if (record.State.Running) {
      if (!options.force) {
        throw conflict(
          `You cannot remove a running container ${record.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      await this.runtimeOf(record)
        .kill(record.Id, 'SIGKILL')
        .catch(() => {});
      await this.waiters.wait(record.Id, 'not-running', () => record.State.Running);
      // An exit noticed while the kill was on its way is not running but still tearing down
      // (network, runtime state, record): the removal goes after it, not through it.
      await this.exitSettled(record.Id);
    }
    if (record.State.Status === 'removing') return;
    // Saved before anything is torn down: a crash from here on leaves a record that
    // says so, and the next start finishes the removal (dockerd's RemovalInProgress).
    await this.markRemoving(record);
    await traced('rm.destroy', () => this.destroy(record, options.volumes ?? false));
  }

  /** Tears a container down for good: runtime state, mounts, networking, volumes, snapshot, record. */
  private async destroy(
    record: ContainerRecord,
    removeAnonymousVolumes: boolean,
    exited:
      | {
          /** The exit's runtime delete, unmount and snapshot removal, under way (an auto-removal). */
          runtimeDeleted: Promise<void>;
          rootfsFreed: Promise<void>;
          snapshotRemoved: Promise<void> | undefined;
        }
      | undefined = undefined,
  ): Promise<void> {
    const runtimeDeleted = exited?.runtimeDeleted;
    // Networking is independent of the rest; the rootfs is unmounted once the
    // runtime has let go of the container (or, after an exit, by the exit's
    // teardown), then volumes and snapshot go side by side.
    const unmounted =
      exited?.rootfsFreed ??
      traced('rm.runtime', () => this.runtimeOf(record).delete(record.Id, { force: true }))
        .catch(() => {})
        .then(() => traced('rm.unmount', () => unmount(this.rootfsPath(record.Id))).catch(() => {}));
    const snapshotRemoved = exited?.snapshotRemoved;
    // The empty mount point goes too (it was left in the exec root for every container),
    // once nothing can hold it: after the runtime let go.
    const removeMountPoint = () =>
      rmdir(this.rootfsPath(record.Id)).catch((err: unknown) => {
        // A container that never started has no mount point.
        if (errnoCode(err) !== 'ENOENT')
          this.deps.log.warn('could not remove a container rootfs mount point', {
            id: record.Id,
            error: err,
          });
      });
    await Promise.all([
      traced('rm.network', async () => this.deps.networking?.release(record)).catch((err: unknown) =>
        this.deps.log.warn('could not release container networking', { id: record.Id, error: err }),
      ),
      unmounted.then(() =>
        this.deps.volumes
          ?.release(record, { removeAnonymous: removeAnonymousVolumes })
          .catch((err: unknown) =>
            this.deps.log.warn('could not release container volumes', { id: record.Id, error: err }),
          ),
      ),
      snapshotRemoved ?? this.removeSnapshot(record, unmounted),
    ]);
    const dropRefs = () =>
      this.freeingLogSpace(record, async () =>
        this.deps.refs.deleteOwner({ kind: 'container', id: record.Id }),
      );
    this.restarts.forget(record.Id);
    this.health.stop(record.Id);
    this.execs.forgetContainer(record.Id);
    if (runtimeDeleted) {
      // The container is gone for the API now; its references to its (removed)
      // snapshot, a database commit, and its record (saved as removing) go once
      // the runtime's state has: a crash before then finishes the removal at the
      // next start. close() waits for these.
      this.store.forget(record.Id);
      this.track(
        runtimeDeleted.then(async () => {
          await dropRefs();
          await unmounted;
          await removeMountPoint();
          return this.store.deleteFiles(record.Id);
        }),
      );
    } else {
      await removeMountPoint();
      await dropRefs();
      await traced('rm.delete-record', () => this.store.delete(record.Id));
    }
    this.event(record, 'destroy');
    this.waiters.removed(record.Id, record.State.ExitCode);
  }

  /**
   * Runs a step of a removal; when it fails because the disk is full, empties
   * the doomed container's logs (what usually filled it) and tries once more,
   * so `rm` works on a full disk as it does with dockerd.
   */
  private async freeingLogSpace<T>(record: ContainerRecord, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      await this.store.truncateLogs(record.Id);
      return step();
    }
  }

  /** Removals finishing in the background. */
  private readonly finishing = new Set<Promise<void>>();

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.deps.log.warn('could not finish a removal', { error: err }))
      .finally(() => this.finishing.delete(tracked));
    this.finishing.add(tracked);
  }

  /** Waits for removals still finishing in the background (daemon shutdown). */
  async settle(): Promise<void> {
    while (this.finishing.size > 0) await Promise.all([...this.finishing]);
  }

  /**
   * Connects the attaches waiting for this start once `created` (the runtime's
   * create) resolves. If it rejects they wait for the next start, as they would
   * had this one failed before creating. Never rejects.
   */
  private async connectPendingAttaches(
    id: string,
    runtime: Runtime,
    created: Promise<unknown>,
  ): Promise<void> {
    const pending = this.pendingAttaches.get(id) ?? [];
    this.pendingAttaches.delete(id);
    const createFailed = created.then(
      () => false,
      () => true,
    );
    await Promise.all(
      pending.map((p) =>
        runtime.attach(id, p.streams, { after: created }).then(p.resolve, async (err: unknown) => {
          if (!(await createFailed)) return p.reject(err);
          const list = this.pendingAttaches.get(id) ?? [];
          list.push(p);
          this.pendingAttaches.set(id, list);
        }),
      ),
    );
  }

  /**
   * Connects to the container's streams through its monitor. On a container
   * that is not running yet the connection is made when it starts, before
   * its process runs, so no output is lost (docker run attaches first).
   */
  async attach(
    ref: string,
    streams: AttachStreams,
    signal?: AbortSignal,
  ): Promise<{ session: AttachSession; tty: boolean; record: ContainerRecord }> {
    const record = this.store.get(ref);
    const runtime = this.runtimeOf(record);
    this.event(record, 'attach');
    const tty = Boolean(record.Config.Tty);
    if (record.State.Running) return { session: await runtime.attach(record.Id, streams), tty, record };
    const session = await new Promise<AttachSession>((resolve, reject) => {
      const list = this.pendingAttaches.get(record.Id) ?? [];
      list.push({ streams, resolve, reject });
      this.pendingAttaches.set(record.Id, list);
      signal?.addEventListener('abort', () => reject(signal.reason));
    });
    return { session, tty, record };
  }

  /** POST /containers/{id}/resize: the TTY's size. */
  async resize(ref: string, size: TerminalSize): Promise<void> {
    const record = this.store.get(ref);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
    await this.runtimeOf(record).resize(record.Id, size);
  }

  /**
   * Adopts containers after a daemon restart: those still running are
   * followed again; those that exited meanwhile get their real exit code.
   */
  async restore(): Promise<void> {
    // Removals a crash interrupted are finished first, as dockerd does at start.
    for (const record of this.store.list()) {
      if (record.State.Status !== 'removing') continue;
      await this.destroy(record, false).catch((err: unknown) =>
        this.deps.log.warn('could not finish removing a container', { id: record.Id, error: err }),
      );
    }
    await this.removeInterruptedStarts();
    await this.removeInterruptedCreates();
    const stopped = this.store.list().filter((c) => !c.State.Running || c.State.Restarting);
    for (const record of this.store.list()) {
      if (!record.State.Running || record.State.Restarting) continue;
      const runtime = this.deps.runtimes.get(record.Runtime);
      if (!runtime) continue;
      const state = await runtime.state(record.Id).catch(() => undefined);
      if (state && (state.status === 'running' || state.status === 'paused') && state.monitorAlive) {
        if (record.PausedForCommit) await this.thawAfterCommit(record, runtime, state.status === 'paused');
        this.follow(record, runtime);
        if (state.status === 'running') this.health.start(record);
        continue;
      }
      const exit = state?.exit ?? { exitCode: 255, exitedAt: new Date(), oomKilled: false };
      await this.onExit(record, runtime, exit).catch((err: unknown) =>
        this.deps.log.warn('could not record an exit that happened while berthd was down', {
          id: record.Id,
          error: err,
        }),
      );
    }
    // An AutoRemove container found stopped (its exit or a failed start came while berthd
    // was down or could not save) is removed, as dockerd's restore does: nothing else would.
    for (const record of stopped) {
      if (record.State.Restarting || !(record.HostConfig as { AutoRemove?: boolean }).AutoRemove) continue;
      await this.removeSettled(record.Id, { force: true, volumes: true }).catch((err: unknown) =>
        this.deps.log.warn('could not remove an auto-remove container', { id: record.Id, error: err }),
      );
    }
    // In the background: the API need not wait for these starts.
    void this.startByPolicy(stopped.filter((record) => this.store.find(record.Id)));
  }

  /** A crash during a commit left the container frozen by the commit, not by its user: thaw it. */
  private async thawAfterCommit(record: ContainerRecord, runtime: Runtime, frozen: boolean): Promise<void> {
    try {
      if (frozen) await runtime.resume(record.Id);
      const wasPaused = record.State.Paused;
      Object.assign(record.State, { Paused: false, Status: 'running' });
      delete record.PausedForCommit;
      await this.store.save(record);
      if (wasPaused) this.event(record, 'unpause');
    } catch (err) {
      this.deps.log.warn('could not unpause a container an interrupted commit paused', {
        id: record.Id,
        error: err,
      });
    }
  }

  /**
   * A crash during create, between preparing the container's snapshot and saving its
   * record, leaves a snapshot no container owns: nothing would ever remove it.
   */
  private async removeInterruptedCreates(): Promise<void> {
    const orphans: string[] = [];
    await this.deps.snapshotter.walk((info) => {
      const id = /^container-([0-9a-f]{64})$/.exec(info.name)?.[1];
      if (id !== undefined && !this.store.list().some((r) => r.Id === id)) orphans.push(id);
    });
    for (const id of orphans) {
      await this.deps.snapshotter
        .remove(`container-${id}`)
        .catch((err: unknown) =>
          this.deps.log.warn('could not remove an orphaned container snapshot', { id, error: err }),
        );
      this.deps.refs.deleteOwner({ kind: 'container', id });
    }
    if (orphans.length > 0)
      this.deps.log.info('removed snapshots of creates a crash interrupted', { ids: orphans });
  }

  /**
   * A crash during start leaves runtime containers no record calls running: bundles whose
   * create never finished, and created (or just started) containers of a record still saying
   * `created`. Their processes would hold the namespace, veth and cgroups for ever; dockerd
   * likewise kills a task that is alive while its container is not running.
   */
  private async removeInterruptedStarts(): Promise<void> {
    for (const runtime of new Set(this.deps.runtimes.values())) {
      if (!isRuntimeCleaner(runtime)) continue;
      const removed = await runtime.removeIncomplete().catch((err: unknown) => {
        this.deps.log.warn('could not remove half-made runtime containers', { error: err });
        return [];
      });
      if (removed.length > 0)
        this.deps.log.info('removed containers whose create a crash interrupted', { ids: removed });
    }
    for (const record of this.store.list()) {
      if (record.State.Running) continue;
      const runtime = this.deps.runtimes.get(record.Runtime);
      const state = await runtime?.state(record.Id).catch(() => undefined);
      if (!runtime || !state) continue;
      await runtime
        .delete(record.Id, { force: true })
        .catch((err: unknown) =>
          this.deps.log.warn('could not remove an interrupted start', { id: record.Id, error: err }),
        );
      await unmount(this.rootfsPath(record.Id)).catch(() => {});
    }
  }

  /**
   * Starts what the restart policies say at daemon start, as dockerd's
   * restore does: `always`, `unless-stopped` unless the user stopped it,
   * `on-failure` after a failure with retries left.
   */
  private async startByPolicy(records: ContainerRecord[]): Promise<void> {
    for (const record of records) {
      if (record.State.Status === 'created' || record.State.Status === 'removing') continue;
      await this.settleStopped(record);
      const policy = checkRestartPolicy(record.HostConfig.RestartPolicy, false);
      const facts = {
        exitCode: record.State.ExitCode,
        manuallyStopped: record.ManuallyStopped,
        restartCount: record.RestartCount,
      };
      if (!startsWithDaemon(policy, facts)) continue;
      await this.start(record.Id).catch((err: unknown) =>
        this.deps.log.warn('could not start a container its restart policy asks for', {
          id: record.Id,
          error: err,
        }),
      );
    }
  }

  /** Counts for `docker info`. */
  counts(): { running: number; paused: number; stopped: number } {
    const all = this.store.list();
    const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
    const paused = all.filter((c) => c.State.Paused).length;
    return { running, paused, stopped: all.length - running - paused };
  }
}

/** Config.Healthcheck for a new container: its own over the image's; none when neither has one. */
function healthcheckField(own: HealthConfig | undefined, image: HealthConfig | undefined) {
  const merged = mergeHealthcheck(own, image);
  return merged ? { Healthcheck: merged } : {};
}

/**
 * dockerd's exit code for a start that failed (translateContainerdStartErr):
 * 127 when the command is missing, 126 when it cannot be run, else 128. It
 * reads the OCI runtime's words because that is all the runtime gives.
 */
function startFailureExitCode(message: string, command: string): number {
  const text = message.toLowerCase();
  if (
    text.includes(command.toLowerCase()) &&
    /executable file not found|no such file or directory/.test(text)
  )
    return 127;
  if (/permission denied|is a directory/.test(text)) return 126;
  return 128;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * dockerd's adaptContainerSettings: the defaults a created container's
 * HostConfig shows in inspect — /dev/shm size and IPC mode (daemon.json's
 * or Docker's), the cgroup namespace mode, memory+swap twice the memory,
 * OomKillDisable false, the masked and read-only paths of an unprivileged
 * container (its spec then takes them from here).
 */
function adaptHostConfig<T extends Record<string, unknown>>(h: T, host: SpecHost): T {
  const adapted: Record<string, unknown> = { ...h };
  if (!adapted['ShmSize']) adapted['ShmSize'] = host.defaults?.shmSize ?? DEFAULT_SHM_SIZE;
  if (!adapted['IpcMode']) adapted['IpcMode'] = host.defaults?.ipcMode ?? 'private';
  if (!adapted['CgroupnsMode']) adapted['CgroupnsMode'] = cgroupnsDefault(host);
  const memory = Number(adapted['Memory'] ?? 0);
  if (memory > 0 && !adapted['MemorySwap']) adapted['MemorySwap'] = memory * 2;
  if (adapted['OomKillDisable'] === undefined || adapted['OomKillDisable'] === null)
    adapted['OomKillDisable'] = false;
  // "Unset" is null, however the client spelled it.
  if (adapted['MemorySwappiness'] === -1) adapted['MemorySwappiness'] = null;
  if (typeof adapted['PidsLimit'] === 'number' && adapted['PidsLimit'] <= 0) adapted['PidsLimit'] = null;
  // systempaths=unconfined empties both lists, as dockerd records it; given lists stay.
  const paths = systemPathsOf((adapted['SecurityOpt'] as string[] | null | undefined) ?? [], adapted);
  if (paths.maskedPaths) adapted['MaskedPaths'] = paths.maskedPaths;
  if (paths.readonlyPaths) adapted['ReadonlyPaths'] = paths.readonlyPaths;
  if (!adapted['Privileged']) {
    adapted['MaskedPaths'] ??= [...DEFAULT_MASKED_PATHS, ...host.extraMaskedPaths];
    adapted['ReadonlyPaths'] ??= [...DEFAULT_READONLY_PATHS];
  }
  return adapted as T;
}
