import { join } from 'node:path';
import { invalidArgument } from '../../core/errors.js';

/**
 * Where the conmon runtime keeps its files under the exec root:
 *
 *     <exec-root>/runtimes/<name>/              the OCI runtime's state (`runc --root`)
 *     <exec-root>/exits/<id>                    exit code, written by conmon (--exit-dir); watched
 *     <exec-root>/containers/<id>/              the bundle, conmon's working and persist dir
 *         config.json                           the OCI spec
 *         rootfs/                               mount point when the runtime mounts the rootfs
 *         record.json                           Berth's record: runtime, stdio, log path, conmon pid
 *         conmon.pid  pidfile                   conmon's pid, the container init's pid
 *         attach                                conmon's attach socket (SOCK_SEQPACKET)
 *         ctl  winsz                            conmon's control fifos (resize, reopen logs)
 *         exit  oom                             exit code again, and the OOM marker
 *         container.log                         output, k8s-file format (unless the caller chose a path)
 *         exec/<exec-id>/                       one exec session: process.json, attach, ctl, winsz,
 *                                               pidfile, conmon.pid, exit/<id>
 */
export class ExecRootLayout {
  constructor(
    readonly execRoot: string,
    readonly runtimeName: string,
  ) {}

  get runtimeState(): string {
    return join(this.execRoot, 'runtimes', this.runtimeName);
  }
  get exitsDir(): string {
    return join(this.execRoot, 'exits');
  }
  get containersDir(): string {
    return join(this.execRoot, 'containers');
  }
  exitFile(id: string): string {
    return join(this.exitsDir, checkId(id));
  }
  bundle(id: string): ContainerPaths {
    return new ContainerPaths(join(this.containersDir, checkId(id)));
  }
}

/** The files of one container's bundle. */
export class ContainerPaths {
  constructor(readonly dir: string) {}
  get config(): string {
    return join(this.dir, 'config.json');
  }
  get rootfs(): string {
    return join(this.dir, 'rootfs');
  }
  get record(): string {
    return join(this.dir, 'record.json');
  }
  get conmonPid(): string {
    return join(this.dir, 'conmon.pid');
  }
  get pidFile(): string {
    return join(this.dir, 'pidfile');
  }
  get ctl(): string {
    return join(this.dir, 'ctl');
  }
  get oom(): string {
    return join(this.dir, 'oom');
  }
  get defaultLog(): string {
    return join(this.dir, 'container.log');
  }
  exec(execId: string): ExecPaths {
    return new ExecPaths(join(this.dir, 'exec', checkId(execId)));
  }
}

/** The files of one exec session. */
export class ExecPaths {
  constructor(readonly dir: string) {}
  get process(): string {
    return join(this.dir, 'process.json');
  }
  get pidFile(): string {
    return join(this.dir, 'pidfile');
  }
  get conmonPid(): string {
    return join(this.dir, 'conmon.pid');
  }
  get ctl(): string {
    return join(this.dir, 'ctl');
  }
  get exitDir(): string {
    return join(this.dir, 'exit');
  }
}

/** Ids become path components and runtime arguments: keep them to what runc accepts. */
function checkId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id))
    throw invalidArgument(`invalid id: ${JSON.stringify(id)}`);
  return id;
}
