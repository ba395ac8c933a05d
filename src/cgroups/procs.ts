import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../core/errors.js';
import type { CgroupLayout } from './layout.js';

/**
 * Every process in the cgroup of process `pid` (a container's init): the
 * container's processes, exec'd ones included. Read from the pids
 * hierarchy on v1 (memory if pids is absent), the unified one on v2.
 */
export async function cgroupProcesses(layout: CgroupLayout, pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => {
    throw notFound(`process ${pid} is gone`);
  });
  const lines = text
    .split('\n')
    .map((line) => /^\d+:([^:]*):(.*)$/.exec(line))
    .filter((m) => m !== null);
  let dir: string | undefined;
  if (layout.version === 2) {
    const path = lines.find((m) => m[1] === '')?.[2];
    const mount = layout.hierarchies.find((h) => h.version === 2)?.mountPoint;
    if (path !== undefined && mount) dir = join(mount, path);
  } else {
    for (const controller of ['pids', 'memory', 'cpu']) {
      const path = lines.find((m) => m[1]!.split(',').includes(controller))?.[2];
      const mount = layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
      if (path !== undefined && mount) {
        dir = join(mount.mountPoint, path);
        break;
      }
    }
  }
  if (!dir) return [pid];
  const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8');
  return procs
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}
