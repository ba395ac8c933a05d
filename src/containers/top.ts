import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { invalidArgument } from '../core/errors.js';

const run = promisify(execFile);

/** GET /containers/{id}/top's answer. */
export interface ProcessList {
  Titles: string[];
  Processes: string[][];
}

/**
 * dockerd's ContainerTop: runs the host's `ps` with the caller's arguments
 * (default `-ef`) and keeps the lines whose PID (or thread-of-a-kept-PID
 * line, for `-L`/`m`) belongs to the container.
 */
export async function containerTop(pids: readonly number[], psArgs = '-ef'): Promise<ProcessList> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let output: string;
  try {
    ({ stdout: output } = await run('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw invalidArgument(`ps: ${stderr.trim() || (err as Error).message.split('\n')[0]}`);
  }
  return parsePsOutput(output, pids);
}

/** dockerd's parsePSOutput: the last column takes the rest of the line (commands have spaces). */
export function parsePsOutput(output: string, pids: readonly number[]): ProcessList {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw invalidArgument("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  let lastKept = false;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const pidField = fields[pidIndex];
    if (pidField === '-') {
      if (lastKept) processes.push(fit(fields, titles.length));
      continue;
    }
    const pid = Number(pidField);
    if (!Number.isInteger(pid)) throw invalidArgument(`Unexpected pid '${pidField}'`);
    lastKept = wanted.has(pid);
    if (lastKept) processes.push(fit(fields, titles.length));
  }
  return { Titles: titles, Processes: processes };
}

function fit(fields: string[], count: number): string[] {
  if (fields.length <= count) return fields;
  return [...fields.slice(0, count - 1), fields.slice(count - 1).join(' ')];
}
