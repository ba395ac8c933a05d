import { access, constants, mkdir } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { type CgroupLayout, detectCgroupLayout } from '../../cgroups/layout.js';
import { unavailable } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { OciCli, type OciRuntimeBinary } from '../oci-cli.js';
import { ConmonRuntime } from './conmon-runtime.js';
import { ExecRootLayout } from './layout.js';

/** Options for {@link createConmonRuntime}. */
export interface ConmonRuntimeOptions {
  /** The daemon's exec root (`--exec-root`, default /run/berth). */
  execRoot: string;
  /** The OCI runtime: name, binary (found on PATH when not absolute) and global arguments. */
  runtime: OciRuntimeBinary;
  /** The conmon binary; default "conmon" on PATH. */
  conmonPath?: string;
  /** "systemd" makes the runtime create systemd scopes (cgroupsPath "<slice>:berth:<id>"). */
  cgroupDriver?: 'cgroupfs' | 'systemd';
  /**
   * A cgroup (e.g. "/berth/conmon") to move every conmon into, so that a
   * service manager stopping the daemon's cgroup leaves the monitors alone.
   */
  monitorCgroup?: string;
  logger?: Logger;
}

/** Finds `name` on PATH (or checks it, when it is a path). */
export async function findExecutable(name: string, path = process.env['PATH'] ?? ''): Promise<string> {
  const candidates = isAbsolute(name)
    ? [name]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw unavailable(`${name} is not installed (not found on PATH)`);
}

/** Prepares the exec root for one OCI runtime and returns its Runtime. */
export async function createConmonRuntime(options: ConmonRuntimeOptions): Promise<ConmonRuntime> {
  const layout = new ExecRootLayout(options.execRoot, options.runtime.name);
  for (const dir of [layout.runtimeState, layout.exitsDir, layout.containersDir]) {
    await mkdir(dir, { recursive: true, mode: 0o711 });
  }
  const runtimePath = await findExecutable(options.runtime.path);
  const conmonPath = await findExecutable(options.conmonPath ?? 'conmon');
  const cli = new OciCli({ ...options.runtime, path: runtimePath }, layout.runtimeState);
  void cli.isRunc(); // asked now, known by the first start
  let cgroupLayout: Promise<CgroupLayout> | undefined;
  return new ConmonRuntime({
    layout,
    cli,
    conmonPath,
    conmonBase: {
      runtimePath,
      runtimeArgs: cli.globalArgs,
      systemdCgroup: options.cgroupDriver === 'systemd',
    },
    monitorCgroup: options.monitorCgroup,
    cgroupLayout: () => {
      cgroupLayout ??= detectCgroupLayout();
      return cgroupLayout;
    },
    logger: options.logger ?? silentLogger,
  });
}
