import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { serializeSpec } from '../../containers/spec/oci.js';
import { alreadyExists, BerthError, ErrorKind, errnoCode, fileWriteError, wrap } from '../../core/errors.js';
import { connectAttachSocket } from '../attach/session.js';
import { runtimeErrorText } from '../oci-cli.js';
import { isAlive, processStartTime } from '../process.js';
import type { AttachSession, ExecOptions, ExecSession, ExitStatus } from '../runtime.js';
import { execArgs } from './args.js';
import type { ConmonContext } from './context.js';
import { writeControl } from './control.js';
import { readExitFile, UNKNOWN_EXIT_CODE, waitForFile } from './exits.js';
import type { ExecPaths } from './layout.js';
import { type SyncPipe, signalStart, spawnConmon } from './spawn.js';
import { writeStateFile } from './state-file.js';

/**
 * Runs a process in a running container through `conmon --exec`, which runs
 * `<runtime> exec --detach --process` and stays as the session's monitor.
 * The start pipe is read twice: once before conmon forks, once just before
 * the runtime runs, after conmon's attach socket is up (the attach pipe says
 * so); connecting in between means no output is lost.
 */
export async function execInContainer(
  ctx: ConmonContext,
  id: string,
  execId: string,
  options: ExecOptions,
): Promise<ExecSession> {
  const paths = ctx.layout.bundle(id).exec(execId);
  await mkdir(dirname(paths.dir), { recursive: true, mode: 0o700 });
  try {
    await mkdir(paths.dir, { mode: 0o700 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw alreadyExists(`exec session ${execId} already exists`);
    throw err;
  }
  const terminal = options.process.terminal === true;
  try {
    await mkdir(paths.exitDir, { mode: 0o700 });
    await writeStateFile(paths.process, serializeSpec(options.process));
  } catch (err) {
    // A full exec root: nothing of the session stays, and the error names the file.
    await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
    const named = fileWriteError(err, paths.process);
    // Without the cause: the exec API reports the innermost cause's text, here Node's (no path).
    throw named === err ? err : new BerthError(ErrorKind.Internal, (named as Error).message);
  }
  const args = execArgs(ctx.conmonBase, { id, execId, paths, terminal, stdin: options.stdin === true });
  const launch = spawnConmon(ctx.conmonPath, args, { cwd: paths.dir, attachPipe: true });
  let io: AttachSession | undefined;
  try {
    await signalStart(launch.start);
    await launch.attachReady?.next();
    if (options.attach) {
      const streams = { ...options.attach, stdin: options.stdin === true && (options.attach.stdin ?? true) };
      io = await connectAttachSocket(paths.dir, streams);
    }
    if (terminal && options.size) await writeControl(paths.ctl, options.size);
    await signalStart(launch.start);
    const started = await launch.sync.next();
    if (started.data < 0) {
      throw new BerthError(ErrorKind.FailedPrecondition, runtimeErrorText(started.message ?? 'exec failed'));
    }
    const exited = exitOf(id, paths, launch.sync);
    // Nobody may ever ask: keep a late failure from becoming an unhandled rejection.
    exited.catch(() => undefined);
    return { pid: started.data, io, wait: () => exited };
  } catch (err) {
    io?.close();
    launch.sync.close();
    throw wrap(err, `cannot exec in container ${id}`);
  } finally {
    launch.start.destroy();
    launch.attachReady?.close();
  }
}

/** The session's exit status: conmon's last sync message, or its exit file if the pipe breaks. */
async function exitOf(id: string, paths: ExecPaths, sync: SyncPipe): Promise<ExitStatus> {
  try {
    const message = await sync.next();
    return {
      exitCode: message.data >= 0 ? message.data : UNKNOWN_EXIT_CODE,
      exitedAt: new Date(),
      oomKilled: false,
    };
  } catch {
    return await waitForExecExit(id, paths);
  } finally {
    sync.close();
    // A container may run many execs (health checks): its bundle keeps none of the finished ones.
    await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Waits for an exec session's exit file (conmon names it after the container). */
export async function waitForExecExit(id: string, paths: ExecPaths): Promise<ExitStatus> {
  const monitorPid = await readPid(paths.conmonPid);
  const startTime = monitorPid ? await processStartTime(monitorPid) : undefined;
  return waitForFile({
    dir: paths.exitDir,
    name: id,
    read: () => readExitFile(join(paths.exitDir, id)),
    writerAlive: () => (monitorPid ? isAlive(monitorPid, startTime) : Promise.resolve(false)),
    gone: () => ({ exitCode: UNKNOWN_EXIT_CODE, exitedAt: new Date(), oomKilled: false }),
  });
}

async function readPid(path: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) ? pid : undefined;
}
