import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  tools: Record<string, string>;
}

async function versionOf(file: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: 10_000 });
    return (stdout || stderr).split('\n')[0]!.trim();
  } catch {
    return 'not installed';
  }
}

export async function machineFacts(): Promise<MachineFacts> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const tools: Record<string, string> = {};
  const probes: [string, string, string[]][] = [
    ['dockerd', 'dockerd', ['--version']],
    ['docker CLI', 'docker', ['--version']],
    ['runc', 'runc', ['--version']],
    ['conmon', 'conmon', ['--version']],
    ['podman', 'podman', ['--version']],
    ['buildah', 'buildah', ['--version']],
    ['Distribution', 'docker-registry', ['--version']],
    ['GNU tar', 'tar', ['--version']],
  ];
  for (const [name, file, args] of probes) tools[name] = await versionOf(file, args);
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    tools,
  };
}
