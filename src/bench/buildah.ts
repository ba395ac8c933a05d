import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../core/exec.js';

/** buildah with storage of its own, so nothing is shared with the host's. */
export interface PeerBuildah {
  /** Global flags that select this buildah's storage; put them before the subcommand. */
  args: string[];
  /** Environment for buildah commands: BUILDAH_RUNTIME=runc. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export function buildahBinary(): string | undefined {
  return ['/usr/bin/buildah', '/usr/local/bin/buildah'].find((p) => existsSync(p));
}

/**
 * buildah has no daemon: "starting" it is giving it temporary storage and a
 * runtime that works here (runc; crun refuses this host's hybrid cgroups).
 * stop() removes its working containers, unmounts what it mounted and
 * deletes the storage. undefined when it is not installed.
 */
export async function startPeerBuildah(): Promise<PeerBuildah | undefined> {
  if (!buildahBinary()) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'berth-buildah-'));
  const args = [
    ...['--root', join(dir, 'root'), '--runroot', join(dir, 'run')],
    ...['--storage-driver', 'overlay'],
  ];
  const env = { ...process.env, BUILDAH_RUNTIME: 'runc' };
  return {
    args,
    env,
    stop: async () => {
      await runCommand('buildah', [...args, 'rm', '--all']).catch(() => {});
      await runCommand('buildah', [...args, 'rmi', '--all', '--force']).catch(() => {});
      // overlay keeps its layer mounts under the root until told otherwise.
      await runCommand('umount', ['-R', join(dir, 'root', 'overlay')]).catch(() => {});
      await runCommand('umount', ['-R', join(dir, 'root')]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
