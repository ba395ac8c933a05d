import { mkdir, readFile, rm } from 'node:fs/promises';
import { moveProcessToCgroup } from '../../cgroups/move.js';
import { serializeSpec } from '../../containers/spec/oci.js';
import { alreadyExists, BerthError, ErrorKind, errnoCode, wrap } from '../../core/errors.js';
import { fullDiskNote } from '../../core/full-disk.js';
import { activeLauncher } from '../../core/launcher.js';
import { traced } from '../../core/spans.js';
import { mountAll, unmountUnder } from '../../snapshots/mount.js';
import { runtimeErrorText } from '../oci-cli.js';
import { processStartTime } from '../process.js';
import { relaySocketDir } from '../relay-socket.js';
import type { CreatedContainer, CreateOptions } from '../runtime.js';
import { createArgs } from './args.js';
import type { ConmonContext } from './context.js';
import { writeRecord } from './record.js';
import { type ConmonLaunch, launchConmon, type SyncMessage, signalStart, spawnConmon } from './spawn.js';
import { writeStateFile } from './state-file.js';

/**
 * Creates a container: writes the bundle, mounts the rootfs, starts conmon
 * (which runs `<runtime> create` and stays as the container's monitor) and
 * waits for the container's pid on the sync pipe. On failure everything
 * made so far is undone.
 */
export async function createContainer(
  ctx: ConmonContext,
  id: string,
  options: CreateOptions,
): Promise<CreatedContainer> {
  const paths = ctx.layout.bundle(id);
  // A bundle, runc's state and conmon's exit file take about 100 KiB of the exec root (a tmpfs
  // like /run): with less, runc fails without a path, or conmon cannot write the exit file
  // after the container ran and its exit code is lost (255). Refuse before anything starts.
  const full = await fullDiskNote(ctx.layout.execRoot, EXEC_ROOT_MIN_FREE);
  if (full) throw new BerthError(ErrorKind.Internal, `failed to create container ${id}: ${full}`);
  // Inside a user namespace the container's root is an unprivileged host user,
  // which must still pass through the bundle to reach the rootfs.
  const userns = options.spec.linux.namespaces.some((ns) => ns.type === 'user');
  try {
    await mkdir(paths.dir, { mode: userns ? 0o711 : 0o700 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw alreadyExists(`container ${id} already exists`);
    throw err;
  }
  const logPath = options.logPath ?? paths.defaultLog;
  try {
    await traced('runtime.bundle', async () => {
      const rootPath = await prepareRoot(options, paths.rootfs);
      const spec = { ...options.spec, root: { ...options.spec.root, path: rootPath } };
      await writeStateFile(paths.config, serializeSpec(spec));
      await rm(ctx.layout.exitFile(id), { force: true });
    });
    const stdio = {
      terminal: options.spec.process.terminal === true,
      stdin: options.stdin === true,
      stdinOnce: options.stdinOnce ?? true,
    };
    const args = createArgs(ctx.conmonBase, {
      id,
      paths,
      exitsDir: ctx.layout.exitsDir,
      logPath,
      ...stdio,
      ...extras(options),
    });
    const { pid, monitorPid } = await traced('runtime.conmon', () =>
      runConmon(ctx, args, paths.dir, paths.conmonPid, options.onMonitorStarted),
    );
    await traced('runtime.record', async () =>
      writeRecord(paths.record, {
        version: 1,
        id,
        runtime: ctx.cli.binary.name,
        runtimePath: ctx.cli.binary.path,
        ...stdio,
        logPath,
        rootfsMounted: options.rootfs !== undefined,
        createdAt: new Date().toISOString(),
        pid,
        monitorPid,
        monitorStartTime: (await processStartTime(monitorPid)) ?? '',
      }),
    );
    return { pid, monitorPid, bundle: paths.dir, logPath };
  } catch (err) {
    await removeBundle(ctx, id).catch((cleanupErr: unknown) =>
      ctx.logger.warn('cleanup after failed create', { id, error: cleanupErr }),
    );
    // Space taken meanwhile: runc's and Node's errors do not say where.
    const note = await fullDiskNote(ctx.layout.execRoot, EXEC_ROOT_MIN_FREE);
    throw wrap(err, `failed to create container ${id}${note ? `: ${note}` : ''}`);
  }
}

/** The exec root's free space below which no container is created (see createContainer). */
export const EXEC_ROOT_MIN_FREE = 512 * 1024;

/** The optional conmon settings the caller gave. */
function extras(options: CreateOptions) {
  return {
    ...(options.logSizeMax ? { logSizeMax: options.logSizeMax } : {}),
    ...(options.logDriver ? { logDriver: options.logDriver } : {}),
    ...(options.syncLogOnExit === false ? { syncLogOnExit: false } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.exitCommand ? { exitCommand: options.exitCommand } : {}),
  };
}

async function prepareRoot(options: CreateOptions, rootfsDir: string): Promise<string> {
  if (!options.rootfs) return options.spec.root.path;
  await mkdir(rootfsDir, { mode: 0o755 });
  await mountAll(options.rootfs, rootfsDir);
  return rootfsDir;
}

/**
 * Runs conmon to the point where the container exists; returns its pid and the
 * monitor's. `onStarted` is called once conmon is on its way.
 */
async function runConmon(
  ctx: ConmonContext,
  args: string[],
  dir: string,
  conmonPidFile: string,
  onStarted: (() => void) | undefined,
): Promise<{ pid: number; monitorPid: number }> {
  const launcher = activeLauncher();
  const socketDir = relaySocketDir();
  let launch: ConmonLaunch;
  // With a monitor cgroup each conmon is moved there before it forks: one spawned here has a pid to move.
  if (launcher && socketDir && !ctx.monitorCgroup) {
    launch = await launchConmon(launcher, socketDir, ctx.conmonPath, args, { cwd: dir });
  } else {
    launch = spawnConmon(ctx.conmonPath, args, { cwd: dir });
  }
  let message: SyncMessage;
  try {
    if (ctx.monitorCgroup && launch.pid) {
      // conmon waits for the start byte before it forks, so its children are born in the new cgroup.
      await moveProcessToCgroup(await ctx.cgroupLayout(), ctx.monitorCgroup, launch.pid).catch(
        (err: unknown) => ctx.logger.warn('cannot move conmon out of the daemon cgroup', { error: err }),
      );
    }
    await signalStart(launch.start).catch(() => undefined);
    onStarted?.();
    message = await traced('runtime.conmon.sync', () => launch.sync.next());
  } finally {
    launch.sync.close();
    launch.start.destroy();
  }
  if (message.data < 0) {
    throw new BerthError(ErrorKind.Internal, runtimeErrorText(message.message ?? 'the OCI runtime failed'));
  }
  await launch.exited;
  const monitorPid = Number.parseInt(await readFile(conmonPidFile, 'utf8'), 10);
  return { pid: message.data, monitorPid };
}

/**
 * Removes whatever exists of a container: the runtime's container (killing
 * its processes), mounts under the bundle, the bundle, the exit file. For a
 * create that failed, or one a crash interrupted before its record was written.
 */
export async function removeBundle(ctx: ConmonContext, id: string): Promise<void> {
  const dir = ctx.layout.bundle(id).dir;
  if (await ctx.cli.knows(id)) await ctx.cli.delete(id, true);
  await unmountUnder(dir).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
  await rm(dir, { recursive: true, force: true });
  await rm(ctx.layout.exitFile(id), { force: true });
}
