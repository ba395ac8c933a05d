import { readFile } from 'node:fs/promises';
import { errnoCode } from '../core/errors.js';

/**
 * A process's start time in clock ticks since boot (/proc/<pid>/stat field
 * 22), or undefined when it does not exist. With the pid it names one
 * process for good: pids are reused, start times are not.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined;
  return fields[19];
}

/** True while the process `pid` that started at `startTime` is alive (zombies count as gone). */
export async function isAlive(pid: number, startTime: string | undefined): Promise<boolean> {
  const current = await processStartTime(pid);
  return current !== undefined && (startTime === undefined || current === startTime);
}

/** Sends `signal` to `pid`; false when there is no such process. */
export function signalProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
    throw err;
  }
}
