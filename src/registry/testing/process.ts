import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunResult, runCommand } from '../../testing/run.js';

/** A `berth-registry serve` child process on a loopback port. */
export interface RegistryProcess {
  /** `127.0.0.1:PORT` */
  address: string;
  child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM (or SIGKILL with `kill: true`) and wait for the exit. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

/**
 * Starts `bin` (the berth-registry launcher) with `serve --addr 127.0.0.1:0`
 * plus `args`, and resolves once it logs the address it bound.
 */
export async function startRegistryProcess(bin: string, args: readonly string[]): Promise<RegistryProcess> {
  const flags = nodeFlagsOf(bin);
  const child = spawn(process.execPath, [...flags, bin, 'serve', '--addr', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const stop = async (options: { kill?: boolean } = {}) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  for (let i = 0; i < 200; i++) {
    const match = /listening" address=(\S+)/.exec(output);
    if (match?.[1]) return { address: match[1], child, log: () => output, stop };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  await stop({ kill: true });
  throw new Error(`berth-registry did not start:\n${output}`);
}

/** The node flags on the launcher's `#!/usr/bin/env -S node …` line, so tests run it as installed. */
export function nodeFlagsOf(bin: string): string[] {
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\S*env -S node\s+(.*)$/.exec(shebang);
  return match?.[1]?.split(/\s+/).filter((flag) => flag.startsWith('--')) ?? [];
}

/** Runs `berth-registry` (the launcher at `bin`) with `args` (check, gc, …) to its end, as installed. */
export function runRegistryCommand(bin: string, args: readonly string[]): Promise<RunResult> {
  return runCommand(process.execPath, [...nodeFlagsOf(bin), bin, ...args]);
}
