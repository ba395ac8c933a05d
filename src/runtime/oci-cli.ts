import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, kindOf } from '../core/errors.js';
import { runCommand } from '../core/exec.js';

/** An OCI runtime binary with a runc-compatible command line (runc, crun). */
export interface OciRuntimeBinary {
  /** The name containers choose it by. */
  name: string;
  /** Path of the binary (absolute: conmon execs it directly). */
  path: string;
  /** Global options given before every command (daemon.json `runtimes.<name>.runtimeArgs`). */
  args: string[];
}

/** `runc state` output (runtime-spec runtime.md#state). */
export interface OciState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  created: string;
}

/**
 * Runs an OCI runtime's commands against one state directory (`--root`),
 * so Berth's containers never mix with another engine's. `create` and
 * `exec` are run by conmon, not here.
 */
export class OciCli {
  constructor(
    readonly binary: OciRuntimeBinary,
    readonly stateDir: string,
  ) {}

  /** The global arguments, as conmon must pass them too (--runtime-arg); errors come as JSON lines. */
  get globalArgs(): string[] {
    return [...this.binary.args, '--root', this.stateDir, '--log-format', 'json'];
  }

  /** The runtime's view of the container, or undefined when it does not know it. */
  async state(id: string): Promise<OciState | undefined> {
    // runc and crun keep one directory per container under --root; checking it
    // first avoids telling "no such container" from real failures by message text.
    if (!(await this.knows(id))) return undefined;
    try {
      const { stdout } = await this.run(['state', id]);
      return JSON.parse(stdout) as OciState;
    } catch (err) {
      if (!(await this.knows(id))) return undefined;
      throw err;
    }
  }

  async knows(id: string): Promise<boolean> {
    return access(join(this.stateDir, id)).then(
      () => true,
      () => false,
    );
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  private runc: Promise<boolean> | undefined;

  /** Whether the binary is runc, as its `--version` says (asked once). */
  isRunc(): Promise<boolean> {
    this.runc ??= runCommand(this.binary.path, ['--version']).then(
      ({ stdout }) => /^runc version /.test(stdout),
      () => false,
    );
    return this.runc;
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  /** Deletes the container's runtime state and cgroup; `force` kills a live one first. */
  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** Changes a live container's cgroup limits (`update --resources FILE`, an OCI LinuxResources document). */
  async update(id: string, resourcesFile: string): Promise<void> {
    await this.run(['update', '--resources', resourcesFile, id]);
  }

  private async run(args: string[]) {
    try {
      return await runCommand(this.binary.path, [...this.globalArgs, ...args]);
    } catch (err) {
      const message = err instanceof Error ? runtimeErrorText(err.message) : String(err);
      throw new BerthError(kindOf(err), `${this.binary.name} ${args[0]}: ${message}`, { cause: err });
    }
  }
}

/**
 * The messages of a runtime's JSON log lines (`--log-format json`:
 * `{"level":"error","msg":"…"}`) found in `text`, joined; `text` itself,
 * trimmed, when it holds none.
 */
export function runtimeErrorText(text: string): string {
  const messages: string[] = [];
  for (const match of text.matchAll(/\{[^{}\n]*"msg"[^{}\n]*\}/g)) {
    try {
      const entry = JSON.parse(match[0]) as { msg?: unknown };
      if (typeof entry.msg === 'string') messages.push(entry.msg);
    } catch {
      // not one of the runtime's log lines
    }
  }
  return messages.length > 0 ? messages.join('; ') : text.trim();
}
