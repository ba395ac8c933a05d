import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../core/exec.js';

/** A podman with its own storage, so nothing is shared with the host's. */
export interface PeerPodman {
  /** Global flags that select this podman's storage and runtime. */
  args: string[];
  stop(): Promise<void>;
}

export function podmanBinary(): string | undefined {
  return ['/usr/bin/podman', '/usr/local/bin/podman'].find((p) => existsSync(p));
}

export async function startPeerPodman(): Promise<PeerPodman | undefined> {
  if (!podmanBinary()) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'berth-podman-'));
  // runc: crun 1.8.1 refuses this kind of host's hybrid cgroup layout.
  const args = [
    ...['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp')],
    ...[
      '--storage-driver',
      'overlay',
      '--runtime',
      'runc',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'none',
    ],
  ];
  return {
    args,
    stop: async () => {
      await runCommand('podman', [...args, 'system', 'reset', '--force']).catch(() => {});
      await runCommand('umount', ['-R', join(dir, 'root')]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
