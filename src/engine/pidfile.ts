import { readFile, unlink } from 'node:fs/promises';
import { failedPrecondition } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';

async function isRunningDaemon(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline?.includes('berthd') ?? false;
}

/**
 * Claims the pidfile, refusing when it names a berthd that is still running
 * (dockerd's rule); a stale file from a crash is replaced.
 */
export async function claimPidfile(path: string): Promise<{ release(): Promise<void> }> {
  const previous = await readFile(path, 'utf8').catch(() => undefined);
  if (previous !== undefined && (await isRunningDaemon(Number(previous.trim())))) {
    throw failedPrecondition(
      `pid file found, ensure berthd is not running or delete ${path} (process ${previous.trim()} is still running)`,
    );
  }
  await writeFileAtomic(path, `${process.pid}`);
  return {
    release: async () => {
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current?.trim() === String(process.pid)) await unlink(path).catch(() => {});
    },
  };
}
