import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, failedPrecondition, invalidArgument, notFound } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../events/bus.js';
import type { AttachSession, Runtime, TerminalSize } from '../runtime/runtime.js';
import { generateId } from './names.js';
import type { ContainerRecord } from './record.js';
import { readFileInRoot } from './root-path.js';
import { execProcess } from './spec/exec.js';
import type { OciSpec } from './spec/oci.js';
import type { ContainerStore } from './store.js';

/** Docker's ExecConfig as POST /containers/{id}/exec takes it. */
export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: [number, number] | null;
}

/** One exec instance: what was asked for and how it went. */
interface ExecInstance {
  id: string;
  containerId: string;
  entrypoint: string;
  args: string[];
  env: string[];
  user: string;
  workingDir: string;
  privileged: boolean;
  tty: boolean;
  openStdin: boolean;
  openStdout: boolean;
  openStderr: boolean;
  detachKeys: string;
  running: boolean;
  exitCode: number | null;
  pid: number;
  /** Resolves once the process runs (or failed to); resize waits for it, as dockerd does. */
  started: Promise<void>;
  markStarted: () => void;
  finishedAt?: number;
}

/** The result of a start: the streams (unless detached) and the exit code to come. */
export interface StartedExec {
  tty: boolean;
  io: AttachSession | undefined;
  exited: Promise<number>;
}

export interface ExecServiceDeps {
  store: ContainerStore;
  runtimeOf(record: ContainerRecord): Runtime;
  /** Where the container's root filesystem is mounted while it runs. */
  rootfsOf(id: string): string;
  events: EventBus;
  log: Logger;
  boundingCapabilities: string[];
}

/** Finished exec instances stay inspectable this long (dockerd keeps them until the container goes). */
const KEEP_FINISHED_MS = 10 * 60_000;
/**
 * dockerd's exit code for an exec that never ran: 126, whatever the cause.
 * (Its start error handler sets 127 for a missing command, then its cleanup
 * overwrites that with 126 — measured on dockerd 20.10.)
 */
const EXEC_START_FAILED = 126;
/** How long a resize waits for a session that has not started yet (dockerd: 10 s). */
const RESIZE_WAIT_MS = 10_000;

/**
 * `docker exec`: exec instances are created against a running container,
 * started once (attached or detached) through the runtime's exec sessions,
 * and inspected for their exit code — with dockerd's messages and events.
 */
export class ExecService {
  private readonly instances = new Map<string, ExecInstance>();

  constructor(private readonly deps: ExecServiceDeps) {}

  create(ref: string, body: ExecCreateBody): { Id: string } {
    const record = this.deps.store.get(ref);
    this.requireRunning(record);
    const cmd = typeof body.Cmd === 'string' ? [body.Cmd] : (body.Cmd ?? []);
    if (cmd.length === 0) throw invalidArgument('No exec command specified');
    this.prune();
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const instance: ExecInstance = {
      id: generateId(),
      containerId: record.Id,
      entrypoint: cmd[0]!,
      args: cmd.slice(1),
      env: body.Env ?? [],
      user: body.User ?? '',
      workingDir: body.WorkingDir ?? '',
      privileged: body.Privileged === true,
      tty: body.Tty === true,
      openStdin: body.AttachStdin === true,
      openStdout: body.AttachStdout === true,
      openStderr: body.AttachStderr === true,
      detachKeys: body.DetachKeys ?? '',
      running: false,
      exitCode: null,
      pid: 0,
      started,
      markStarted,
    };
    this.instances.set(instance.id, instance);
    this.event(record, `exec_create: ${[instance.entrypoint, ...instance.args].join(' ')}`, instance.id);
    return { Id: instance.id };
  }

  /** Throws dockerd's 404 for an unknown exec id (checked before a start hijacks the connection). */
  get(id: string): { tty: boolean; detachKeys: string; openStdin: boolean } {
    const instance = this.find(id);
    return { tty: instance.tty, detachKeys: instance.detachKeys, openStdin: instance.openStdin };
  }

  /**
   * Runs the instance. Attached, the streams are connected before the
   * process starts so no output is lost. A process that cannot be started
   * records 126, as dockerd does.
   */
  async start(id: string, options: { detach: boolean; size?: TerminalSize }): Promise<StartedExec> {
    const instance = this.find(id);
    if (instance.exitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    if (instance.running) throw conflict(`Error: Exec command ${id} is already running`);
    const record = this.deps.store.get(instance.containerId);
    this.requireRunning(record);
    instance.running = true;
    const command = [instance.entrypoint, ...instance.args].join(' ');
    this.event(record, `exec_start: ${command}`, id);
    const runtime = this.deps.runtimeOf(record);
    try {
      const process = await this.processFor(record, runtime, instance);
      const session = await runtime.exec(record.Id, id, {
        process,
        stdin: instance.openStdin && !options.detach,
        attach: options.detach
          ? false
          : { stdin: instance.openStdin, stdout: instance.openStdout, stderr: instance.openStderr },
        ...(options.size ? { size: options.size } : {}),
      });
      instance.pid = session.pid;
      instance.markStarted();
      const exited = session.wait().then((status) => {
        instance.running = false;
        instance.exitCode = status.exitCode;
        instance.pid = 0;
        instance.finishedAt = Date.now();
        this.event(record, 'exec_die', id, { exitCode: String(status.exitCode) });
        return status.exitCode;
      });
      exited.catch(() => undefined);
      return { tty: instance.tty, io: session.io, exited };
    } catch (err) {
      instance.running = false;
      instance.exitCode = EXEC_START_FAILED;
      instance.finishedAt = Date.now();
      instance.markStarted();
      throw failedPrecondition(`OCI runtime exec failed: ${runtimeMessage(err)}: unknown`, err);
    }
  }

  async resize(id: string, size: TerminalSize): Promise<void> {
    const instance = this.find(id);
    const ready = await Promise.race([
      instance.started.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), RESIZE_WAIT_MS).unref()),
    ]);
    if (!ready) throw failedPrecondition('timeout waiting for exec session ready');
    if (!instance.running) return;
    const record = this.deps.store.get(instance.containerId);
    await this.deps.runtimeOf(record).resize(record.Id, size, id);
  }

  /** GET /exec/{id}/json in Docker's shape. */
  inspect(id: string): Record<string, unknown> {
    const i = this.find(id);
    return {
      ID: i.id,
      Running: i.running,
      ExitCode: i.exitCode,
      ProcessConfig: {
        tty: i.tty,
        entrypoint: i.entrypoint,
        arguments: i.args,
        privileged: i.privileged,
        ...(i.user ? { user: i.user } : {}),
      },
      OpenStdin: i.openStdin,
      OpenStderr: i.openStderr,
      OpenStdout: i.openStdout,
      CanRemove: false,
      ContainerID: i.containerId,
      DetachKeys: i.detachKeys,
      Pid: i.pid,
    };
  }

  /** The exec ids of a container, for its inspect (`ExecIDs`); none when it has none. */
  idsOf(containerId: string): string[] | null {
    const ids = [...this.instances.values()]
      .filter((i) => i.containerId === containerId && i.exitCode === null)
      .map((i) => i.id);
    return ids.length ? ids : null;
  }

  /** Forgets the instances of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, instance] of this.instances) {
      if (instance.containerId === containerId) this.instances.delete(id);
    }
  }

  private find(id: string): ExecInstance {
    const instance = this.instances.get(id);
    if (!instance) throw notFound(`No such exec instance: ${id}`);
    return instance;
  }

  private requireRunning(record: ContainerRecord): void {
    if (record.State.Paused)
      throw conflict(`Container ${record.Id} is paused, unpause the container before exec`);
    if (record.State.Restarting)
      throw conflict(`Container ${record.Id} is restarting, wait until the container is running`);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
  }

  /** The process document: the container's own process from its bundle, with the request on top. */
  private async processFor(record: ContainerRecord, runtime: Runtime, i: ExecInstance) {
    const state = await runtime.state(record.Id);
    const spec = JSON.parse(await readFile(join(state.bundle, 'config.json'), 'utf8')) as OciSpec;
    if (!spec.process) throw failedPrecondition(`container ${record.Id} has no process`);
    const rootfs = this.deps.rootfsOf(record.Id);
    const [passwd, group] = await Promise.all([
      readFileInRoot(rootfs, '/etc/passwd'),
      readFileInRoot(rootfs, '/etc/group'),
    ]);
    const groupAdd = (record.HostConfig as { GroupAdd?: string[] | null }).GroupAdd ?? [];
    return execProcess(
      spec.process,
      {
        cmd: [i.entrypoint, ...i.args],
        env: i.env,
        ...(i.user ? { user: i.user } : {}),
        ...(i.workingDir ? { workingDir: i.workingDir } : {}),
        tty: i.tty,
        privileged: i.privileged,
      },
      { passwd, group, groupAdd, boundingCapabilities: this.deps.boundingCapabilities },
    );
  }

  private event(record: ContainerRecord, action: string, execId: string, extra: Record<string, string> = {}) {
    this.deps.events.publish({
      type: 'container',
      action,
      id: record.Id,
      attributes: { ...record.Labels, image: record.ImageRef, name: record.Name, execID: execId, ...extra },
    });
  }

  private prune(): void {
    const cutoff = Date.now() - KEEP_FINISHED_MS;
    for (const [id, instance] of this.instances) {
      if (instance.finishedAt !== undefined && instance.finishedAt < cutoff) this.instances.delete(id);
    }
  }
}

/** The OCI runtime's own words, without the context layers added on the way up. */
function runtimeMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
