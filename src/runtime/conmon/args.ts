import type { ContainerPaths, ExecPaths } from './layout.js';

/** What every conmon invocation shares. */
export interface ConmonBase {
  /** The OCI runtime binary conmon runs (`-r`). */
  runtimePath: string;
  /** Global runtime options, each passed as `--runtime-arg`. */
  runtimeArgs: string[];
  /** Tell the runtime to use the systemd cgroup driver (`-s` → `runc --systemd-cgroup`). */
  systemdCgroup: boolean;
}

/** conmon's command line for a container (`runtime create`). */
export function createArgs(
  base: ConmonBase,
  options: {
    id: string;
    paths: ContainerPaths;
    exitsDir: string;
    logPath: string;
    logSizeMax?: number;
    logDriver?: 'k8s-file' | 'none';
    /** false: --no-sync-log (conmon fsyncs the log at exit, before the exit file, by default). */
    syncLogOnExit?: boolean;
    terminal: boolean;
    stdin: boolean;
    stdinOnce: boolean;
    name?: string;
    exitCommand?: { path: string; args: string[] };
  },
): string[] {
  const { id, paths } = options;
  return [
    ...common(base, id, id, paths.dir, paths.pidFile),
    '-n',
    options.name ?? id,
    '--conmon-pidfile',
    paths.conmonPid,
    // conmon writes <exits>/<id> (one directory to watch for every container) and <bundle>/exit
    // plus <bundle>/oom (--persist-dir) when the kernel OOM-kills a process of the container.
    '--exit-dir',
    options.exitsDir,
    '--persist-dir',
    paths.dir,
    '-l',
    options.logDriver === 'none' ? 'none' : `k8s-file:${options.logPath}`,
    ...(options.logSizeMax && options.logDriver !== 'none'
      ? ['--log-size-max', String(options.logSizeMax)]
      : []),
    ...(options.syncLogOnExit === false ? ['--no-sync-log'] : []),
    ...(options.terminal ? ['-t'] : []),
    ...(options.stdin ? ['-i'] : []),
    // Without this conmon closes stdin when an attached client goes away: Docker's StdinOnce.
    ...(options.stdin && !options.stdinOnce ? ['--leave-stdin-open'] : []),
    ...(options.exitCommand ? exitCommandArgs(options.exitCommand) : []),
  ];
}

/** conmon's command line for an exec session (`runtime exec --detach --process`). */
export function execArgs(
  base: ConmonBase,
  options: { id: string; execId: string; paths: ExecPaths; terminal: boolean; stdin: boolean },
): string[] {
  const { paths } = options;
  return [
    ...common(base, options.id, options.execId, paths.dir, paths.pidFile),
    '--conmon-pidfile',
    paths.conmonPid,
    '--exit-dir',
    paths.exitDir,
    // Exec output goes to the attached client only, as with dockerd.
    '-l',
    'none',
    '--exec',
    '--exec-attach',
    '--exec-process-spec',
    paths.process,
    ...(options.terminal ? ['-t'] : []),
    ...(options.stdin ? ['-i'] : []),
  ];
}

function common(base: ConmonBase, cid: string, cuuid: string, bundle: string, pidFile: string): string[] {
  return [
    // API 1: sync-pipe messages are {"data": N}, and exec sessions report their pid, then their exit code.
    '--api-version',
    '1',
    '-c',
    cid,
    '-u',
    cuuid,
    '-r',
    base.runtimePath,
    '-b',
    bundle,
    '-p',
    pidFile,
    // The attach socket goes to <bundle>/attach instead of a symlink under /var/run/crio.
    '--full-attach',
    ...base.runtimeArgs.flatMap((arg) => ['--runtime-arg', arg]),
    ...(base.systemdCgroup ? ['-s'] : []),
  ];
}

function exitCommandArgs(command: { path: string; args: string[] }): string[] {
  return ['--exit-command', command.path, ...command.args.flatMap((arg) => ['--exit-command-arg', arg])];
}
