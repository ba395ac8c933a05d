import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { socketAccepts } from '../core/net.js';
import { unmountUnder } from '../snapshots/mount.js';
import { waitExit } from './daemon.js';

const run = promisify(execFile);

export interface PeerDockerd {
  host: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function dockerdBinary(): string | undefined {
  return ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
}

/**
 * Starts a real dockerd beside everything else: its own data root, exec root,
 * socket, pidfile and a bridge of its own (a dockerd sharing docker0 takes it
 * over), with iptables left alone. `daemonConfig` becomes its daemon.json
 * (e.g. `registry-mirrors`). Everything is removed by stop().
 */
export async function startPeerDockerd(
  options: { daemonConfig?: Record<string, unknown> } = {},
): Promise<PeerDockerd> {
  const binary = dockerdBinary();
  if (!binary) throw new Error('dockerd is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'berth-dockerd-'));
  const tag = Math.random().toString(16).slice(2, 8);
  const bridge = `btd-${tag}`;
  const octet = 16 + Math.floor(Math.random() * 200);
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  const cleanup = async () => {
    await run('ip', ['link', 'del', bridge]).catch(() => {});
    // dockerd 20.10 leaves its own mounts under the data root (e.g. overlay2's private bind).
    await unmountUnder(dir).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['addr', 'add', `172.30.${octet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(options.daemonConfig ?? {}));
  } catch (err) {
    await cleanup();
    throw err;
  }
  const socket = join(dir, 'docker.sock');
  const child = spawn(
    binary,
    [
      ...[
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'docker.pid'),
      ],
      ...['-H', `unix://${socket}`, '--config-file', join(dir, 'daemon.json'), '--bridge', bridge],
      ...['--iptables=false', '--ip-masq=false', '--ip-forward=false'],
    ],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([waitExit(child), sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await cleanup();
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    if (await socketAccepts(socket)) return { host: `unix://${socket}`, process: child, stop };
    await sleep(100);
  }
  await stop();
  throw new Error('dockerd did not start within 30 s');
}
