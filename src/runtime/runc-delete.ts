import { readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { isAlive } from './process.js';

/** The part of runc's `<root>/<id>/state.json` that deleting a stopped container needs. */
interface RuncStateFile {
  init_process_pid?: number;
  init_process_start?: number;
  cgroup_paths?: Record<string, string>;
  config?: { hooks?: { poststop?: unknown[] } | null; Hooks?: { poststop?: unknown[] } | null };
}

/**
 * Deletes a runc container whose init process is gone, as `runc delete`
 * does for a stopped container, without running runc (a Go binary: some
 * 10 ms of CPU after every container's exit): its cgroups, then its state
 * directory. Resolves false, having changed nothing that matters, when runc
 * itself must do it: the init still runs, processes are left in a cgroup
 * (runc delete --force kills them), poststop hooks are configured, or the
 * state is not what this expects. Only for runc: crun keeps other files.
 */
export async function deleteStoppedRunc(stateDir: string, id: string): Promise<boolean> {
  const dir = join(stateDir, id);
  let state: RuncStateFile;
  try {
    state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as RuncStateFile;
  } catch {
    return false;
  }
  const pid = state.init_process_pid;
  if (typeof pid !== 'number' || typeof state.init_process_start !== 'number') return false;
  if (await isAlive(pid, String(state.init_process_start))) return false;
  const hooks = state.config?.hooks ?? state.config?.Hooks;
  if (hooks?.poststop?.length) return false;
  for (const path of Object.values(state.cgroup_paths ?? {})) {
    try {
      await rmdir(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      // EBUSY: processes outlived the init (a shared PID namespace); runc kills them.
      return false;
    }
  }
  await rm(dir, { recursive: true, force: true });
  return true;
}
