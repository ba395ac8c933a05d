import { readdir, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { type CgroupStats, readCgroupStats } from '../../cgroups/stats.js';
import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import { startAttachRelay } from '../attach/session.js';
import { isAlive, signalProcess } from '../process.js';
import { deleteStoppedRunc } from '../runc-delete.js';
import { startThroughExecFifo } from '../runc-exec-fifo.js';
import type {
  AttachOptions,
  AttachSession,
  AttachStreams,
  ContainerState,
  CreatedContainer,
  CreateOptions,
  ExecOptions,
  ExecSession,
  ExitStatus,
  Runtime,
  RuntimeCleaner,
  RuntimeUpdater,
  TerminalSize,
} from '../runtime.js';
import type { ConmonContext } from './context.js';
import { writeControl } from './control.js';
import { createContainer, removeBundle } from './create.js';
import { execInContainer } from './exec.js';
import { readExitFile, UNKNOWN_EXIT_CODE, waitForFile } from './exits.js';
import { type ContainerRecord, readRecord } from './record.js';

/** How long delete waits for conmon to notice the container is gone before killing it. */
const MONITOR_EXIT_TIMEOUT_MS = 10_000;

/**
 * The Runtime implementation on conmon and a runc-compatible OCI runtime.
 * It holds no state of its own: every call reads the bundle's record, the
 * OCI runtime's state and conmon's exit files, so a fresh instance manages
 * what an earlier one (an earlier daemon) created.
 */
export class ConmonRuntime implements Runtime, RuntimeCleaner, RuntimeUpdater {
  constructor(private readonly ctx: ConmonContext) {}

  get name(): string {
    return this.ctx.cli.binary.name;
  }

  create(id: string, options: CreateOptions): Promise<CreatedContainer> {
    return createContainer(this.ctx, id, options);
  }

  async start(id: string): Promise<void> {
    const record = await this.record(id);
    try {
      // runc's start is a read of the container's exec fifo: done here, it spares running runc.
      const started =
        (await this.ctx.cli.isRunc()) && (await startThroughExecFifo(this.ctx.cli.stateDir, id, record.pid));
      if (!started) await this.ctx.cli.start(id);
    } catch (err) {
      const state = await this.state(id);
      if (state.status !== 'created')
        throw failedPrecondition(`container ${id} is ${state.status}, not created`, err);
      throw err;
    }
  }

  async state(id: string): Promise<ContainerState> {
    const record = await this.record(id);
    const paths = this.ctx.layout.bundle(id);
    const [exit, oci, monitorAlive] = await Promise.all([
      readExitFile(this.ctx.layout.exitFile(id), paths.oom),
      this.ctx.cli.state(id),
      isAlive(record.monitorPid, record.monitorStartTime),
    ]);
    const status = exit || !oci ? 'stopped' : oci.status === 'creating' ? 'created' : oci.status;
    return {
      id,
      status,
      pid: status === 'stopped' ? 0 : (oci?.pid ?? 0),
      monitorPid: record.monitorPid,
      monitorAlive,
      bundle: paths.dir,
      logPath: record.logPath,
      terminal: record.terminal,
      createdAt: new Date(record.createdAt),
      ...(exit ? { exit } : {}),
    };
  }

  async kill(id: string, signal: number | string, options: { all?: boolean } = {}): Promise<void> {
    await this.record(id);
    const number = signalNumber(signal);
    try {
      await this.ctx.cli.kill(id, number, options.all);
    } catch (err) {
      const state = await this.state(id);
      if (state.status === 'stopped') throw failedPrecondition(`container ${id} is not running`, err);
      throw err;
    }
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const record = await this.record(id);
    const exitFile = this.ctx.layout.exitFile(id);
    const oomFile = this.ctx.layout.bundle(id).oom;
    return waitForFile({
      dir: this.ctx.layout.exitsDir,
      name: id,
      read: () => readExitFile(exitFile, oomFile),
      writerAlive: () => isAlive(record.monitorPid, record.monitorStartTime),
      gone: () => ({ exitCode: UNKNOWN_EXIT_CODE, exitedAt: new Date(), oomKilled: false }),
      ...(signal ? { signal } : {}),
    });
  }

  async delete(id: string, options: { force?: boolean } = {}): Promise<ExitStatus | undefined> {
    const record = await this.record(id).catch(() => undefined);
    // No record: a create a crash interrupted; its runc container may still hold processes.
    if (!record) return void (await removeBundle(this.ctx, id));
    // Only a refusal needs the state: a forced delete spares the OCI runtime's `state` run.
    const state = options.force ? undefined : await this.state(id);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      throw failedPrecondition(
        `cannot remove container ${id}: it is ${state.status}; stop it or force the removal`,
      );
    }
    // --force kills a created, running or paused container's processes (thawing it first).
    if (await this.ctx.cli.knows(id)) {
      // A runc container whose process is gone is deleted here: spares running runc after every exit.
      const deleted = (await this.ctx.cli.isRunc()) && (await deleteStoppedRunc(this.ctx.cli.stateDir, id));
      if (!deleted) await this.ctx.cli.delete(id, true);
    }
    const exit = await this.awaitMonitorExit(id, record);
    await removeBundle(this.ctx, id);
    return exit;
  }

  exec(id: string, execId: string, options: ExecOptions): Promise<ExecSession> {
    return this.requireRunning(id).then(() => execInContainer(this.ctx, id, execId, options));
  }

  async resize(id: string, size: TerminalSize, execId?: string): Promise<void> {
    const record = await this.record(id);
    const paths = this.ctx.layout.bundle(id);
    if (execId === undefined && !record.terminal) throw failedPrecondition(`container ${id} has no TTY`);
    await writeControl(execId === undefined ? paths.ctl : paths.exec(execId).ctl, size);
  }

  async closeStdin(id: string): Promise<void> {
    const record = await this.record(id);
    if (!record.stdin) return;
    // conmon 2.1 closes a container's stdin only when an attached client goes away.
    if (!record.stdinOnce) throw failedPrecondition(`container ${id} keeps its stdin open for every client`);
    const session = await this.attach(id, { stdin: true, stdout: false, stderr: false });
    session.stdin?.end();
    await session.closed;
  }

  async attach(id: string, streams: AttachStreams = {}, options: AttachOptions = {}): Promise<AttachSession> {
    // With `after`, the relay starts now: its start-up overlaps the container's creation.
    const early = options.after ? startAttachRelay(streams) : undefined;
    try {
      await options.after;
      const record = await this.record(id);
      if (await this.stopped(id)) throw failedPrecondition(`container ${id} is not running`);
      return await (early ?? startAttachRelay(streams)).connect(this.ctx.layout.bundle(id).dir, record.stdin);
    } catch (err) {
      early?.cancel();
      throw err;
    }
  }

  async pause(id: string): Promise<void> {
    await this.requireRunning(id);
    await this.ctx.cli.pause(id);
  }

  async resume(id: string): Promise<void> {
    const state = await this.state(id);
    if (state.status !== 'paused') throw failedPrecondition(`container ${id} is not paused`);
    await this.ctx.cli.resume(id);
  }

  async update(id: string, resources: Record<string, unknown>): Promise<void> {
    await this.requireLive(id);
    // The document goes through a file in the bundle: the runtime reads it by path.
    const file = join(this.ctx.layout.bundle(id).dir, 'resources-update.json');
    await writeFile(file, JSON.stringify(resources), { mode: 0o600 });
    try {
      await this.ctx.cli.update(id, file);
    } finally {
      await rm(file, { force: true });
    }
  }

  async stats(id: string, pid?: number): Promise<CgroupStats> {
    if (pid) {
      const known = await readCgroupStats(await this.ctx.cgroupLayout(), pid, id).catch(() => undefined);
      if (known) return known;
    }
    const state = await this.state(id);
    if (state.status === 'stopped' || state.pid === 0)
      throw failedPrecondition(`container ${id} is not running`);
    return readCgroupStats(await this.ctx.cgroupLayout(), state.pid);
  }

  async list(): Promise<ContainerState[]> {
    const states: ContainerState[] = [];
    for (const { id, record } of await this.bundles()) {
      if (record?.runtime === this.name) states.push(await this.state(id));
    }
    return states;
  }

  async removeIncomplete(): Promise<string[]> {
    const incomplete = (await this.bundles())
      .filter((bundle) => bundle.record === undefined)
      .map(({ id }) => id);
    for (const id of incomplete) await removeBundle(this.ctx, id);
    return incomplete;
  }

  /** Every bundle under the exec root, with its record; none for a create that never finished. */
  private async bundles(): Promise<{ id: string; record: ContainerRecord | undefined }[]> {
    const ids = await readdir(this.ctx.layout.containersDir).catch(() => [] as string[]);
    return Promise.all(
      ids.map(async (id) => ({
        id,
        record: await readRecord(this.ctx.layout.bundle(id).record, id).catch(() => undefined),
      })),
    );
  }

  /**
   * Whether the container is gone, as state() tells it (an exit file, or
   * unknown to the OCI runtime) without running the OCI runtime: attach is on
   * every `run`'s path.
   */
  private async stopped(id: string): Promise<boolean> {
    const paths = this.ctx.layout.bundle(id);
    const [exit, known] = await Promise.all([
      readExitFile(this.ctx.layout.exitFile(id), paths.oom),
      this.ctx.cli.knows(id),
    ]);
    return exit !== undefined || !known;
  }

  private record(id: string): Promise<ContainerRecord> {
    return readRecord(this.ctx.layout.bundle(id).record, id);
  }

  private async requireLive(id: string): Promise<void> {
    const state = await this.state(id);
    if (state.status !== 'running' && state.status !== 'paused')
      throw failedPrecondition(`container ${id} is not running`);
  }

  private async requireRunning(id: string): Promise<void> {
    const state = await this.state(id);
    if (state.status !== 'running') throw failedPrecondition(`container ${id} is not running`);
  }

  /** conmon writes the exit file and exits once the container is gone; wait for that, kill it if it hangs. */
  private async awaitMonitorExit(id: string, record: ContainerRecord): Promise<ExitStatus | undefined> {
    const timeout = AbortSignal.timeout(MONITOR_EXIT_TIMEOUT_MS);
    const exit = await this.wait(id, timeout).catch(() => undefined);
    if (!exit && (await isAlive(record.monitorPid, record.monitorStartTime))) {
      this.ctx.logger.warn('conmon did not exit after its container was deleted; killing it', { id });
      signalProcess(record.monitorPid, 'SIGKILL');
    }
    return exit;
  }
}

/** A signal as the OCI runtime takes it: 9, "9", "KILL" and "SIGKILL" are all SIGKILL. */
export function signalNumber(signal: number | string): number {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const number = Number(signal);
    if (number > 0 && number <= 64) return number;
  } else {
    const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
    const number = osConstants.signals[name as NodeJS.Signals];
    if (number !== undefined) return number;
  }
  throw invalidArgument(`invalid signal: ${signal}`);
}
